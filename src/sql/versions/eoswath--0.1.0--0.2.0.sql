-- eoswath upgrade script 0.1.0 -> 0.2.0
--
-- Every schema change of 0.2.0 (src/sql/*.sql) appears here too, so that
-- ALTER EXTENSION eoswath UPDATE brings a 0.1.0 install to exactly what a
-- fresh 0.2.0 install has (test/t/012_upgrade.pl compares the two).

\echo Use "ALTER EXTENSION eoswath UPDATE TO '0.2.0'" to load this file. \quit
