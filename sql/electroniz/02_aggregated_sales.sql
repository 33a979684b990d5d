-- Electroniz serving layer, step 2: sales in US dollars per calendar quarter, both channels.
-- Replaces the book's CETAS gold table; YEAR and DATEPART are the T-SQL functions, kept as
-- the view was written for Synapse.
CREATE TABLE gold.aggregated_sales AS
SELECT YEAR(order_date) AS year,
       DATEPART(quarter, order_date) AS quarter,
       SUM(sale_price_usd) AS total_sales_usd
FROM silver.orders
GROUP BY YEAR(order_date), DATEPART(quarter, order_date);
