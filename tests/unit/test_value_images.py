"""Image tags against the flags and fields the program writes for them (settings/image_versions.py).

The refused side (each image just below its floor, a major above its newest, a digest alone, the
Fluent Bit variant without curl) is in the corpus (tests/unit/value_classes.py); here, the accepted
side at each boundary, and the table against the catalog.
"""

from __future__ import annotations

import json

import pytest

from render.kibana import kibana_version
from settings.catalog import CATALOG, SERVICES
from settings.image_versions import IMAGE_VERSIONS, tag_version
from settings.model import parse_settings
from tests.conftest import stack_config
from tests.unit.test_value_rules import outcome, refused_then_fixed
from tests.unit.value_classes import image_at, image_tags_outside_what_the_program_writes, just_below

DIGEST = "@sha256:" + "c" * 64


def _with_images(images: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = stack_config("prod")
    config["images"] = json.dumps({**json.loads(config.get("images", "{}")), **images})
    return config, secret_keys


def _same_version_too(service: str, image: str) -> dict[str, str]:
    """`service` at `image`, and the rows that must share its version at the same version."""
    found = tag_version(image)
    assert found is not None
    partners = {IMAGE_VERSIONS[service].same_version_as} | {
        other for other, row in IMAGE_VERSIONS.items() if row.same_version_as == service}
    return {service: image, **{p: image_at(p, found[0]) for p in partners if p is not None}}


def test_every_image_setting_has_a_row_and_every_pin_is_inside_it() -> None:
    assert set(IMAGE_VERSIONS) == set(SERVICES)
    config, secret_keys = _with_images({})
    assert outcome("prod", config, secret_keys) == ""
    for service, row in IMAGE_VERSIONS.items():
        found = tag_version(CATALOG[service].image)
        assert found is not None and found[0] >= row.floor, service
        assert row.major is None or found[0][0] <= row.major, service


@pytest.mark.parametrize("service", list(IMAGE_VERSIONS))
def test_an_image_at_its_floor_is_accepted_and_just_below_it_is_not(service: str) -> None:
    row = IMAGE_VERSIONS[service]
    at = _same_version_too(service, image_at(service, row.floor))
    assert outcome("prod", *_with_images(at)) == "", at
    below = image_at(service, just_below(row.floor))
    refused_then_fixed(f"images.{service}", f"is older than {'.'.join(map(str, row.floor))}",
                       images={service: below})


@pytest.mark.parametrize("service", [s for s, row in IMAGE_VERSIONS.items() if row.major is not None])
def test_the_last_releases_of_the_newest_major_are_accepted_and_the_next_major_is_not(service: str) -> None:
    major = IMAGE_VERSIONS[service].major
    assert major is not None
    at = _same_version_too(service, image_at(service, (major, 99, 9)))
    assert outcome("prod", *_with_images(at)) == "", at
    refused_then_fixed(f"images.{service}", f"later major than {major}",
                       images={service: image_at(service, (major + 1, 0, 0))})


def test_a_digest_is_checked_by_the_tag_beside_it_and_refused_alone() -> None:
    pinned = CATALOG["alertmanager"].image
    assert outcome("prod", *_with_images({"alertmanager": pinned + DIGEST})) == ""
    refused_then_fixed("images.alertmanager", "older than 0.25.0",
                       images={"alertmanager": "prom/alertmanager:v0.24.0" + DIGEST})
    fix = refused_then_fixed("images.alertmanager", "names no version",
                             images={"alertmanager": "prom/alertmanager" + DIGEST})
    assert fix.endswith(pinned)


def test_kibana_out_of_range_is_fixed_to_the_version_of_elasticsearch_when_that_one_is_accepted() -> None:
    fix = refused_then_fixed("images.kibana", "older than 8.18.0", images={
        "kibana": "docker.elastic.co/kibana/kibana:7.17.0",
        "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:8.19.1"})
    assert fix.endswith("kibana:8.19.1")


def test_kibana_and_elasticsearch_apart_is_one_problem_even_with_digests() -> None:
    refused_then_fixed("images.kibana", "must be the version of images.elasticsearch", images={
        "kibana": "docker.elastic.co/kibana/kibana:8.18.1" + DIGEST,
        "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:8.18.2" + DIGEST})


def test_kibanas_saved_objects_carry_the_tags_version_beside_a_digest() -> None:
    """kibana_version once took everything after the last ':' for the version: the digest's hex."""
    config, secret_keys = _with_images({"kibana": CATALOG["kibana"].image + DIGEST})
    s = parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    assert kibana_version(s) == "8.18.2"


def test_the_corpus_has_each_boundary_of_each_row() -> None:
    cases = image_tags_outside_what_the_program_writes()
    for service, row in IMAGE_VERSIONS.items():
        values = [v for k, v, _ in cases if k == f"images.{service}"]
        assert image_at(service, just_below(row.floor)) in values
        assert row.major is None or image_at(service, (row.major + 1, 0, 0)) in values
        assert any("@sha256:" in v for v in values)
