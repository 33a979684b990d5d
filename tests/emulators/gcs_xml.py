"""A GCS emulator for Lakeshore's tests: gcp-storage-emulator with the XML API calls that the
Rust object_store GCS client (delta-rs, the `deltalake` Python package, the engine) makes.

Why a layer: object_store writes, reads and lists through GCS' XML API, and neither emulator on
PyPI speaks enough of it. gcp-storage-emulator answers `GET /bucket?list-type=2` with 501, has no
HEAD, no XML DELETE or copy, and sends no ETag / Last-Modified headers (object_store requires
both); fake-gcs-server answers every XML `PUT /bucket/object` with "400 invalid uploadType". So we
keep gcp-storage-emulator's storage and JSON API, and answer these calls ourselves, in front of
its routes:

    GET    /BUCKET?list-type=2&prefix=&delimiter=&start-after=   ListObjectsV2 (XML)
    GET    /BUCKET/OBJECT   (Range too)                          with ETag, Last-Modified
    HEAD   /BUCKET/OBJECT
    PUT    /BUCKET/OBJECT   x-goog-if-generation-match: 0 -> 412 if it exists (Delta commits)
    PUT    /BUCKET/OBJECT   x-goog-copy-source: /BUCKET/SRC   (copy, same precondition)
    DELETE /BUCKET/OBJECT
    POST   /BUCKET/OBJECT?uploads, PUT ?partNumber=N&uploadId=ID, POST ?uploadId=ID,
    DELETE ?uploadId=ID      XML multipart uploads (object_store's streaming writes)

    python gcs_xml.py --port PORT [--host 127.0.0.1] [--bucket NAME]...
"""

import argparse
import email.utils
import itertools
import re
import time
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

from gcp_storage_emulator import server
from gcp_storage_emulator.exceptions import NotFound
from gcp_storage_emulator.handlers import buckets, objects

HEAD = "HEAD"

# Multipart uploads in progress: upload id -> {part number: bytes}.
UPLOADS: dict[str, dict[int, bytes]] = {}
UPLOAD_IDS = itertools.count(1)

# The emulator serves one request at a time (http.server.HTTPServer), so a conditional put's
# check and write cannot interleave with another request.


def _epoch(obj) -> float:
    # `generation` is the write time in nanoseconds (see objects._make_object_resource).
    return int(obj["generation"]) / 1e9


def _etag(obj) -> str:
    return '"{}"'.format(obj.get("md5Hash") or obj["generation"])


def _object_headers(response, obj) -> None:
    """The headers object_store requires on every object response."""
    response["ETag"] = _etag(obj)
    response["x-goog-generation"] = obj["generation"]
    response["Last-Modified"] = email.utils.formatdate(_epoch(obj), usegmt=True)


def _find(storage, bucket, name):
    try:
        return storage.get_file_obj(bucket, name)
    except NotFound:
        return None


def _precondition_failed(request, storage, bucket, name) -> bool:
    """`x-goog-if-generation-match: 0` means "only if absent": object_store's PutMode::Create."""
    match = request.get_header("x-goog-if-generation-match")
    if match is None:
        return False
    existing = _find(storage, bucket, name)
    if match == "0":
        return existing is not None
    return existing is None or existing["generation"] != match


def _query(request) -> dict[str, str]:
    """The query with its blank values (`?uploads`), which the emulator's parser drops."""
    return {key: values[0] for key, values in parse_qs(urlparse(request.full_url).query, keep_blank_values=True).items()}


def _store(request, storage, bucket, name, content: bytes, content_type=None) -> dict:
    """Writes the object as the emulator's own uploads do, and returns its resource."""
    content_type = content_type or request.get_header("Content-Type") or "application/octet-stream"
    obj = objects._make_object_resource(request.base_url, bucket, name, content_type, str(len(content)))
    storage.create_file(bucket, name, content, objects._checksums(content, obj))
    return storage.get_file_obj(bucket, name)


def _xml_error(response, status, code, message) -> None:
    response.status = status
    response.write_file(
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>',
        content_type="application/xml",
    )


def list_objects(request, response, storage, *args, **kwargs):
    bucket = request.params["bucket_name"]
    if "list-type" not in request.query:
        return buckets.get(request, response, storage)
    query = {key: values[0] for key, values in request.query.items()}
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter")
    start_after = query.get("start-after", "")
    try:
        files, prefixes = storage.get_file_list(bucket, prefix or None, delimiter)
    except NotFound:
        return _xml_error(response, HTTPStatus.NOT_FOUND, "NoSuchBucket", bucket)
    contents = []
    for obj in files:
        if obj["name"] <= start_after:
            continue
        modified = datetime.fromtimestamp(_epoch(obj), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        contents.append(
            f"<Contents><Key>{escape(obj['name'])}</Key><LastModified>{modified}</LastModified>"
            f"<ETag>{escape(_etag(obj))}</ETag><Size>{obj['size']}</Size></Contents>"
        )
    common = "".join(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes if p > start_after)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01">'
        f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
        f"<KeyCount>{len(contents)}</KeyCount><IsTruncated>false</IsTruncated>"
        f"{''.join(contents)}{common}</ListBucketResult>"
    )
    response.write_file(body, content_type="application/xml")


def get_object(request, response, storage, *args, **kwargs):
    bucket, name = request.params["bucket_name"], request.params["object_id"]
    obj = _find(storage, bucket, name)
    if obj is None:
        return _xml_error(response, HTTPStatus.NOT_FOUND, "NoSuchKey", name)
    objects.download(request, response, storage)
    _object_headers(response, obj)
    if request.method == HEAD:
        # Content-Length must still give the object's size: headers only, no body.
        response.write_file(b"", content_type=obj.get("contentType"))
        response.head_size = int(obj["size"])


def put_object(request, response, storage, *args, **kwargs):
    bucket, name = request.params["bucket_name"], request.params["object_id"]
    query = _query(request)
    if "uploadId" in query:
        return put_part(request, response, query)
    source = request.get_header("x-goog-copy-source")
    if _precondition_failed(request, storage, bucket, name):
        return _xml_error(response, HTTPStatus.PRECONDITION_FAILED, "PreconditionFailed", name)
    try:
        if source is None:
            obj = _store(request, storage, bucket, name, request.data or b"")
        else:
            source_bucket, _, source_name = unquote(source).lstrip("/").partition("/")
            objects._copy(request.base_url, storage, source_bucket, source_name, bucket, name)
            obj = storage.get_file_obj(bucket, name)
    except NotFound:
        return _xml_error(response, HTTPStatus.NOT_FOUND, "NoSuchKey", source or bucket)
    _object_headers(response, obj)


def put_part(request, response, query):
    parts = UPLOADS.get(query["uploadId"])
    if parts is None:
        return _xml_error(response, HTTPStatus.NOT_FOUND, "NoSuchUpload", query["uploadId"])
    content = request.data or b""
    parts[int(query["partNumber"])] = content
    response["ETag"] = '"{}"'.format(objects._md5(content))


def post_object(request, response, storage, *args, **kwargs):
    """Starts (`?uploads`) or completes (`?uploadId=`) a multipart upload."""
    bucket, name = request.params["bucket_name"], request.params["object_id"]
    query = _query(request)
    if "uploads" in query:
        upload_id = f"lakeshore-upload-{next(UPLOAD_IDS)}"
        UPLOADS[upload_id] = {}
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult>'
            f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(name)}</Key><UploadId>{upload_id}</UploadId>"
            "</InitiateMultipartUploadResult>"
        )
        return response.write_file(body, content_type="application/xml")
    if "uploadId" not in query:
        return _xml_error(response, HTTPStatus.NOT_IMPLEMENTED, "NotImplemented", "POST without uploads or uploadId")
    parts = UPLOADS.pop(query["uploadId"], None)
    if parts is None:
        return _xml_error(response, HTTPStatus.NOT_FOUND, "NoSuchUpload", query["uploadId"])
    # The completion lists the parts to join, in order.
    listed = [int(number) for number in re.findall(rb"<PartNumber>(\d+)</PartNumber>", request.data or b"")]
    if _precondition_failed(request, storage, bucket, name):
        return _xml_error(response, HTTPStatus.PRECONDITION_FAILED, "PreconditionFailed", name)
    obj = _store(request, storage, bucket, name, b"".join(parts[number] for number in listed), "application/octet-stream")
    _object_headers(response, obj)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult>'
        f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(name)}</Key><ETag>{escape(_etag(obj))}</ETag>"
        "</CompleteMultipartUploadResult>"
    )
    response.write_file(body, content_type="application/xml")


def delete_object(request, response, storage, *args, **kwargs):
    upload_id = _query(request).get("uploadId")
    if upload_id is not None:
        UPLOADS.pop(upload_id, None)
        response.status = HTTPStatus.NO_CONTENT
        return
    objects.delete(request, response, storage)
    if response.status == HTTPStatus.OK:
        response.status = HTTPStatus.NO_CONTENT


XML_ROUTES = (
    (r"^/(?P<bucket_name>[-.\w]+)$", {server.GET: list_objects}),
    (
        r"^/(?P<bucket_name>[-.\w]+)/(?P<object_id>.*[^/]+)$",
        {
            server.GET: get_object,
            HEAD: get_object,
            server.PUT: put_object,
            server.POST: post_object,
            server.DELETE: delete_object,
        },
    ),
)


class _HeadResponse(server.Response):
    """A response that may announce a size it does not send (HEAD)."""

    head_size = None

    def close(self):
        if self.head_size is None:
            return super().close()
        self._handler.send_response(self.status.value, self.status.phrase)
        for key, value in self._headers.items():
            self._handler.send_header(key, value)
        self._handler.send_header("Content-Length", str(self.head_size))
        self._handler.end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bucket", action="append", default=[])
    args = parser.parse_args()

    # Our routes first: the emulator's JSON API paths (/storage/v1/..., /upload/..., /b/...) do
    # not match them, except a bucket literally named "b", which tests do not use.
    server.HANDLERS = XML_ROUTES + tuple(server.HANDLERS)
    server.Response = _HeadResponse
    server.RequestHandler.do_HEAD = lambda handler: server.Router(handler).handle(HEAD)

    emulator = server.create_server(args.host, args.port, in_memory=True)
    for bucket in args.bucket:
        buckets.create_bucket(bucket, emulator._storage)
    emulator.start()
    print(f"gcs_xml: listening on {args.host}:{args.port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
