-- Nothing to change on SQLite: postgres/005 rewrites the regular-expression CHECKs of
-- Postgres in a cheaper, equivalent form; SQLite's checks never used a regular expression
-- (length, lower() and GLOB, see 001 and 002). The file keeps both kinds at one schema
-- version.
SELECT 1;
