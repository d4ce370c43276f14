DROP TABLE idempotency_keys;
DROP TABLE contract_amendments;
DROP TABLE contracts;
