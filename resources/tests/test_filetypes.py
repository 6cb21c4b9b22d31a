"""File types come from the content, never from the name."""

import io

import pytest

from resources.filetypes import detect
from resources.samples import docx_bytes, minimal_pdf, png_bytes, pptx_bytes

from .helpers import cfb_bytes, plain_zip, xlsx_bytes


def kind(data: bytes):
    t = detect(io.BytesIO(data))
    return t.ext if t else None


def test_office_open_xml_told_apart_by_parts():
    assert kind(docx_bytes("教案", ["教学目标"])) == "docx"
    assert kind(pptx_bytes("课件", ["导入"])) == "pptx"
    assert kind(xlsx_bytes()) == "xlsx"
    assert kind(plain_zip()) == "zip"


@pytest.mark.parametrize(
    ("stream", "ext"), [("WordDocument", "doc"), ("PowerPoint Document", "ppt"), ("Workbook", "xls")]
)
def test_legacy_office_told_apart_by_cfb_stream_names(stream, ext):
    assert kind(cfb_bytes(stream)) == ext


def test_unknown_cfb_is_refused():
    assert kind(cfb_bytes("Contents")) is None


def test_pdf_png_accepted():
    assert kind(minimal_pdf("x")) == "pdf"
    assert kind(png_bytes(1)) == "png"


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><html><script>alert(1)</script></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable
        b"",
        b"%PDF",  # too short to be anything
    ],
)
def test_html_svg_executables_and_junk_refused(data):
    assert kind(data) is None


def test_media_by_signature():
    assert kind(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64) == "mp4"
    assert kind(b"ID3\x03\x00\x00\x00\x00\x00\x21" + b"\x00" * 64) == "mp3"
