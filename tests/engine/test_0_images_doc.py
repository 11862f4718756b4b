"""docs/images.md's "Test images" table names every test image and each stand-in as one."""

from __future__ import annotations

from pathlib import Path

from tests.engine.images import IMAGES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "images.md").read_text()


def test_every_test_image_is_in_the_table_and_each_stand_in_says_so():
    table = DOC.split("## Test images (tests/engine)", 1)[1]
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    for image in IMAGES:
        [row] = [line for names, line in rows.items() if image.service in [n.strip() for n in names.split(",")]]
        assert ("**stand-in**" in row) == image.standin, image.service
        assert image.differences, image.service
