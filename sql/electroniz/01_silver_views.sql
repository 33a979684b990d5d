-- Electroniz serving layer, step 1: the silver views that gold reads.
-- Replaces the book's Synapse serverless views over OPENROWSET(BULK ..., FORMAT = 'DELTA');
-- see sql/README.md for the originals and what changed.

-- Every customer of both channels: the website's customers (as its order events carry them)
-- and the store customers.
CREATE OR REPLACE VIEW silver.customers AS
SELECT customer_id, first_name, last_name, email, country, 'online' AS channel
FROM (
    SELECT DISTINCT customer_id, first_name, last_name, email, country
    FROM silver.esalesns
) AS web_customers
UNION ALL
SELECT customer_id, first_name, last_name, email, country, 'store' AS channel
FROM silver.sales_store_customers;

-- Every order line of both channels, in US dollars, with its product and customer.
-- The website sends product names in lower case: they are matched case-insensitively with
-- lower() (Synapse matched them only because its default collation ignores case).
CREATE OR REPLACE VIEW silver.orders AS
SELECT o.order_id, o.order_date, o.customer_id, c.email, c.country,
       p.product_name, p.product_category, o.units, o.sale_price_usd, 'store' AS channel
FROM silver.sales_store_orders AS o
JOIN silver.sales_store_customers AS c ON c.customer_id = o.customer_id
JOIN silver.sales_products AS p ON p.product_id = o.product_id
UNION ALL
SELECT e.order_id, e.order_date, e.customer_id, e.email, e.country,
       p.product_name, p.product_category, e.units, e.sale_price_usd, 'online' AS channel
FROM silver.esalesns AS e
JOIN silver.sales_products AS p ON lower(p.product_name) = lower(e.product_name);
