-- Not reversible without losing consent and registry data: the contract tables keep their
-- new shape. Dropping the sequence table is enough for `migrate` to re-run `up`.
DROP TABLE registry_sequences;
