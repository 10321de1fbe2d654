"""Trade-mission meeting planner: one-to-one meetings between LV and KR participants.

Staff create a mission (days, slots, tables), add companies from the database
with their availability, caps and must-meet or never-meet wishes, and let a
solver propose the schedule; they then adjust it by hand. Where each part lives:

* :mod:`.model`: what a mission, a participant, a wish, a meeting and a plan are;
* :mod:`.solve`: the CP-SAT model (OR-Tools) and the greedy baseline;
* :mod:`.adjust`: moving, adding and removing a meeting, checked against the rules;
* :mod:`.fit`: how well two participants fit, both directions, from the ranker;
* :mod:`.planning`: load a mission from the store, solve it, save the plan version;
* :mod:`.agenda`: agendas (HTML, .ics), the organisers' grid (XLSX) and the charts.

This package file imports nothing, so the domain modules (model, solve, adjust)
stay importable without the store.
"""
