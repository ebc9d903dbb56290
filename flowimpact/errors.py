"""The error tree shared by every flowimpact package.

Each error carries the process exit code of the outside contract (docs/contracts.md), so the
command line maps any error to its code without knowing where it came from::

    FlowImpactError                 exit 1  anything else
    ├── InputError                  exit 2  bad input: config, arguments, data files
    │   ├── ConfigError                     a study file or config value is wrong
    │   └── DataFormatError                 a data file cannot be read as any known format
    └── DataUnavailableError        exit 3  no data stored and the source cannot be reached

Messages are one line that names what is wrong and how to fix it: the command line prints
``str(error)`` as it is.
"""

from __future__ import annotations


class FlowImpactError(Exception):
    """Base of every error flowimpact raises on purpose."""

    exit_code: int = 1


class InputError(FlowImpactError):
    """The user gave something that cannot be used (exit 2)."""

    exit_code = 2


class ConfigError(InputError):
    """A study file, a config value or a command-line argument is wrong."""


class DataFormatError(InputError):
    """A data file is corrupt or of no known format; the message names file and line."""


class DataUnavailableError(FlowImpactError):
    """Needed data is not stored and cannot be fetched (exit 3)."""

    exit_code = 3


__all__ = [
    "ConfigError",
    "DataFormatError",
    "DataUnavailableError",
    "FlowImpactError",
    "InputError",
]
