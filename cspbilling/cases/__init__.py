"""cases: billing support cases, messages (public / internal), SLA, resolution, satisfaction
(intake from console, portal, API and email; work; close the loop).

Cases may call collections' steps (dispute holds) and invoicing's (credit notes); they never
import escalations (pyproject's import contracts).
"""
