"""Student records: the national field list and code tables, validation (ID numbers, 学籍号, names),
create/edit/find/history, search, the archive check; their SQL (store)."""
