"""SafePassage: plan, run and audit evacuations of people at risk.

The domain model (:mod:`safepassage.model`) sits at the centre; readers, planners, the verifier
and the command line are built around it.
"""

__version__ = "0.1.0"
