"""Classification schemes and customers' tiers in them.

- ``policy``: how a tier moves (qualifying, upgrades, downgrades held by grace and tenure);
- ``service``: schemes and their versions, and classifying one customer (``refresh``);
- ``reclassify``: the same for many customers at once, in SQL (new versions, imports);
- ``scheduler``: the review clock, for changes that come with time alone.
"""

RECLASSIFY_JOB = "reclassify"
