-- Electroniz serving layer, step 4: units sold of each product per calendar quarter, both
-- channels (the website's orders find their category through the case-insensitive product
-- name match of silver.orders).
CREATE TABLE gold.aggregated_products_by_quarter AS
SELECT product_category,
       product_name,
       YEAR(order_date) AS year,
       DATEPART(quarter, order_date) AS quarter,
       SUM(units) AS units_sold
FROM silver.orders
GROUP BY product_category, product_name, YEAR(order_date), DATEPART(quarter, order_date);
