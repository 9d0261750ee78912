"""Exceptions that carry a user-facing, one-line message.

The command line turns any :class:`SimtrialError` into that one line on
stderr and its ``exit_code``: 2 for bad input, 1 for a run that could not
finish (:class:`RunError`); library users catch them like any other exception.
"""

from __future__ import annotations

__all__ = ["SimtrialError", "ConfigError", "DesignError", "InfeasibleDesignError", "RunError"]


class SimtrialError(ValueError):
    """Base class for errors that reach the user as one line, not as a traceback: they are not bugs.

    Caused by the user's input, except :class:`RunError`. ``exit_code`` is
    the command line's exit code for the error: 2, bad input.
    """

    exit_code = 2


class ConfigError(SimtrialError):
    """A configuration value is missing, unknown or out of range.

    Parameters
    ----------
    key : str
        Dotted path of the offending key (``"design.r1"``), or ``""``.
    message : str
        What is wrong and what is allowed.
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}" if key else message)


class DesignError(SimtrialError):
    """A two-stage design or its parameters are invalid (e.g. r1 >= n1)."""


class InfeasibleDesignError(DesignError):
    """No design meets the error constraints within the allowed sample sizes."""


class RunError(SimtrialError):
    """A run stopped for a reason outside the user's input (a worker process died).

    What finished is saved; rerunning continues from it. The command line
    exits with code 1 rather than 2: the input was valid.
    """

    exit_code = 1
