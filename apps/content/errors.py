"""Problems found in the files of site/, each with the file and line an author has to open."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class SiteProblem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class SiteContentError(Exception):
    """One or more content files are invalid; nothing was loaded."""

    def __init__(self, problems: list[SiteProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
