"""The arena: blind pairwise battles, human and judge votes, and ratings with honest intervals.

Static suites miss what a team cares about on its own prompts; an arena of blind votes does
not, if its ratings are computed the way the field learned to (MEASURE.md §3, §5). The parts,
in the order the data flows:

* ``battles``     run a battle through the shared model client (both answers with tokens,
                  timings, cost), follow-up turns, votes (one per voter per battle), and the
                  conversion of stored votes into rated comparisons;
* ``judge``       ``baimo arena judge``: battles on suite/task prompts ruled by the pairwise
                  judge in both orders (disagreement = tie, parse failures never rated);
* ``ratings``     Bradley–Terry by maximum likelihood with an anchor, bootstrap or sandwich
                  intervals, style control, pair reweighting, ranks, win rates;
* ``boards``      every leaderboard the CLI and the web show (human / judge / both, per
                  category) with the judge calibration beside the judge board;
* ``calibration`` judge–human agreement, Cohen's κ and the judge's position bias;
* ``sampling``    active sampling: the next pair and its expected interval shrinkage;
* ``interchange`` FastChat / LMArena battle JSON in and out;
* ``synthetic``   battles drawn from known ratings, to check all of the above.

Storage is ``baimo.store.battles`` (tables ``battles`` and ``battle_votes``); the browser pages
are ``baimo.web.arena``; the commands are ``baimo.cli.arena``.
"""
