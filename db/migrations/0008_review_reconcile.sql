-- semester reviews, school-archive snapshots and reconciliation runs: reserved; its work writes the tables.
SELECT 1;
