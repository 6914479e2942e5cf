"""Scale-out on Ray: sweeps larger than one machine, one rate limit across workers, a plan.

* ``executor``: ``baimo eval --executor ray`` — shards of model × task × chunk as Ray tasks,
  each running the eval runner and writing to the shared store.
* ``limiter``: one admission limit per endpoint for the whole cluster (a Ray actor).
* ``perf``: ``baimo perf --executor ray`` — load from N actors, merged from raw rows.
* ``plan``: ``baimo plan`` — requests, tokens, cost and wall time before anything is sent.

Ray is optional (``pip install 'baimo[ray]'``) and imported only when used, so ``plan``
works without it.
"""
