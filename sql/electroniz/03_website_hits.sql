-- Electroniz serving layer, step 3: website traffic by country, and the advertising budget
-- it earns. Countries with 100 hits or fewer are left out: too few visitors to advertise to.

-- Hits per visitor country (silver.logs carries the country of each visitor's address range).
CREATE OR REPLACE VIEW silver.website_hits AS
SELECT country_name, COUNT(*) AS hits
FROM silver.logs
GROUP BY country_name
HAVING COUNT(*) > 100;

-- All hits from the countries above the threshold.
CREATE TABLE gold.total_website_hits AS
SELECT SUM(hits) AS total_hits
FROM silver.website_hits;

-- Each country's share of those hits, in percent: its share of the advertising budget.
CREATE TABLE gold.advertising_budgets AS
SELECT h.country_name, h.hits, ROUND(100.0 * h.hits / t.total_hits, 2) AS budget_pct
FROM silver.website_hits AS h
CROSS JOIN gold.total_website_hits AS t;
