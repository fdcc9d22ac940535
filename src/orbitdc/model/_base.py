"""Shared building blocks of the scenario models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[A-Za-z0-9_.][A-Za-z0-9_. -]*$"

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN)]


class Strict(BaseModel):
    """Unknown keys are errors; models are immutable once validated."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False,
        # No silent coercion: true is not 1 h, "2" is not a number (an integer is a float).
        strict=True,
    )
