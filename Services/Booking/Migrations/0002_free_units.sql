-- The claim's scan for never-held (or released) units. units_for_sale also holds units under an
-- unexpired hold, which a claim must step over: as a sale fills, every claim walked past all of
-- them (measured: hold throughput fell as holds accumulated). Here a held unit leaves the index,
-- so a claim reads only free rows; units whose hold expired but was not yet released by the
-- sweeper are claimed through units_for_sale when the free ones run out.
CREATE INDEX units_free ON units (event_id, tier_id, unit_id) WHERE hold_id IS NULL AND order_id IS NULL;
