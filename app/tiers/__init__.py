"""Classification schemes and customers' tiers in them.

- ``policy``: how a tier moves (qualifying, upgrades, downgrades held by grace and tenure),
  the Python engine for one customer;
- ``bulk``: the same rules in SQL, for a set of customers (the classification pipeline's);
- ``service``: schemes and their versions, overrides, history and explanations.
"""
