"""Element sets from inline TLE, TLE files with several satellites, and OMM as JSON and XML
give the same satellite, propagated identically."""

import json
import textwrap

import numpy as np
from sgp4 import exporter

import orbitdc
from orbitdc.model.elements import parse_tle_text

ISS = textwrap.dedent(
    """\
    ISS (ZARYA)
    1 25544U 98067A   25274.49975208  .00018288  00000-0  33242-3 0  9998
    2 25544  51.6325 140.1428 0001055 183.8834 176.2147 15.49589290531650
    """
)
HUBBLE = textwrap.dedent(
    """\
    HST
    1 20580U 90037B   25274.17324537  .00005658  00000-0  19628-3 0  9999
    2 20580  28.4690 291.2050 0002420 100.1536 259.9469 15.28512530744404
    """
)


_METADATA = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM",
             "MEAN_ELEMENT_THEORY")
_MEAN = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
         "ARG_OF_PERICENTER", "MEAN_ANOMALY")


def _omm_xml(fields):
    """CCSDS OMM XML (as CelesTrak serves it): metadata, mean elements, TLE parameters."""

    def block(tag, keys):
        return f"<{tag}>" + "".join(f"<{k}>{fields[k]}</{k}>" for k in keys) + f"</{tag}>"

    rest = [k for k in fields if k not in _METADATA and k not in _MEAN]
    return (
        '<?xml version="1.0"?><ndm><omm><body><segment>'
        + block("metadata", [k for k in _METADATA if k in fields])
        + "<data>" + block("meanElements", _MEAN) + block("tleParameters", rest) + "</data>"
        + "</segment></body></omm></ndm>"
    )


def _scenario(tmp_path, fleet):
    text = textwrap.dedent(
        """
        name = "el"
        start = 2025-10-01T12:00:00Z
        duration_h = 2.0
        step_s = 30.0
        """
    )
    path = tmp_path / "s.toml"
    path.write_text(text + "[[fleet]]\n" + fleet)
    return orbitdc.load_scenario(path)


def test_tle_omm_json_and_xml_agree(tmp_path):
    _, sat = parse_tle_text(ISS)[0]
    fields = exporter.export_omm(sat, "ISS (ZARYA)")
    (tmp_path / "iss.json").write_text(json.dumps(fields))
    (tmp_path / "iss.xml").write_text(_omm_xml(fields))
    (tmp_path / "iss.tle").write_text(ISS)
    variants = [
        'name = "a"\nkind = "elements"\ntle = """\n' + ISS + '"""\n',
        'name = "a"\nkind = "elements"\ntle_file = "iss.tle"\n',
        'name = "a"\nkind = "elements"\nomm_file = "iss.json"\n',
        'name = "a"\nkind = "elements"\nomm_file = "iss.xml"\n',
    ]
    positions = []
    for fleet in variants:
        res = orbitdc.simulate(_scenario(tmp_path, fleet))
        positions.append(np.asarray(res.timeseries.column("x_km")))
    for p in positions[1:]:
        np.testing.assert_allclose(p, positions[0], atol=1e-3)  # 1 m


def test_tle_file_with_several_satellites_names_them_by_index(tmp_path):
    (tmp_path / "two.tle").write_text(ISS + HUBBLE)
    sc = _scenario(tmp_path, 'name = "sci"\nkind = "elements"\ntle_file = "two.tle"\n')
    assert sc.satellite_names == ["sci-0", "sci-1"]


def test_omm_record_missing_fields_names_them_all():
    import pytest
    from sgp4.api import Satrec

    from orbitdc.model.elements import parse_omm_text

    with pytest.raises(ValueError, match="lacks the fields EPOCH, MEAN_MOTION, ECCENTRICITY"):
        parse_omm_text('{"OBJECT_NAME": "A"}')
    lines = ISS.splitlines()
    fields = exporter.export_omm(Satrec.twoline2rv(lines[1], lines[2]), "ISS")
    del fields["BSTAR"]
    with pytest.raises(ValueError, match="lacks the field BSTAR$"):
        parse_omm_text(json.dumps(fields))
