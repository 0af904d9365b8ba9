"""Xueji's services, without Qt: one package per feature over a small kernel (core, rules). docs/architecture.md draws
the house."""
