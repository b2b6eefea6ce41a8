"""Only what pyproject.toml cannot say: the wheel carries the repository's ``sql/`` (numbered
migrations and views) as ``pipelines/sql``, so an installed paysync can run ``paysync db
migrate``. ``sql/`` stays at the top of the checkout, where migrations are written and reviewed;
an editable install reads it there (pipelines/store/migrate.py looks in both places)."""

from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithSql(build_py):
    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            self.copy_tree("sql", os.path.join(self.build_lib, "pipelines", "sql"))


setup(cmdclass={"build_py": BuildPyWithSql})
