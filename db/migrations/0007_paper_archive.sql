-- paper folders, locations, checklists, scans and loans: reserved; its work writes the tables.
SELECT 1;
