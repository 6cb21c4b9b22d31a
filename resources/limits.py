"""Upload limits of the resource library (settings-like constants; tests and deployments may patch them).

Sizes are per file type *as detected from the content*, so renaming a video to .pdf does not raise its limit.
"""

MB = 1024 * 1024

# detected file type → largest accepted file, in bytes
MAX_SIZE = {
    "pdf": 50 * MB,
    "doc": 50 * MB,
    "docx": 50 * MB,
    "ppt": 100 * MB,
    "pptx": 100 * MB,
    "xls": 30 * MB,
    "xlsx": 30 * MB,
    "png": 10 * MB,
    "jpg": 10 * MB,
    "gif": 10 * MB,
    "webp": 10 * MB,
    "mp3": 50 * MB,
    "mp4": 500 * MB,
    "zip": 200 * MB,
}

# every teacher's uploads together (their own resources, counted once per stored item)
USER_QUOTA = 2 * 1024 * MB

# text extraction: bounded in time, memory, pages and characters; above these the item keeps its metadata only
EXTRACT_TIMEOUT_SECONDS = 15
EXTRACT_MEMORY_BYTES = 512 * MB
EXTRACT_MAX_PAGES = 60
EXTRACT_MAX_CHARS = 20_000
# an OOXML package whose parts inflate beyond this (or with an absurd ratio) is a zip bomb: not opened
OOXML_MAX_UNCOMPRESSED = 100 * MB
OOXML_MAX_RATIO = 200

# office → PDF preview conversion with LibreOffice (when ``soffice`` is on the PATH)
CONVERT_TIMEOUT_SECONDS = 60
