"""Robustness: how plans fare when the front line and the crossings do not go as expected.

Beside planning, not inside it: planners know one scenario; this package values their plans
across the futures a crisis cell thinks possible (the contract's "Uncertain futures").
"""
