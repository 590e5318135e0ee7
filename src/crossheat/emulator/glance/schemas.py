"""Glance's JSON schemas of an image and of an image list (``GET /v2/schemas/image[s]``).

python-glanceclient fetches them before it lists or shows images: it builds its
image model from the schema and validates every image it receives against it
(``warlock``), so the seeded images must fit. The properties are Glance's base
ones with its default container and disk formats, plus the custom properties a
default install loads from ``schema-image.json`` (``"is_base": false``); like
Glance's, the schema is permissive: any other property must be a string.
"""

from __future__ import annotations

from typing import Any

CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
STATUSES = [
    "queued",
    "saving",
    "active",
    "killed",
    "deleted",
    "uploading",
    "importing",
    "pending_delete",
    "deactivated",
]
_UUID = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"


def _prop(type_: Any, description: str, read_only: bool = False, **more: Any) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": type_, "description": description}
    if read_only:
        prop["readOnly"] = True
    prop.update(more)
    return prop


def _base_properties() -> dict[str, Any]:
    nullable = ["null", "string"]
    location = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "maxLength": 255},
            "metadata": {"type": "object"},
        },
        "required": ["url", "metadata"],
    }
    return {
        "id": _prop("string", "An identifier for the image", pattern=_UUID),
        "name": _prop(nullable, "Descriptive name for the image", maxLength=255),
        "status": _prop("string", "Status of the image", True, enum=STATUSES),
        "visibility": _prop(
            "string",
            "Scope of image accessibility",
            enum=["community", "public", "private", "shared"],
        ),
        "protected": _prop("boolean", "If true, image will not be deletable."),
        "os_hidden": _prop("boolean", "If true, image will not appear in default image list."),
        "checksum": _prop(nullable, "md5 hash of image contents.", True, maxLength=32),
        "os_hash_algo": _prop(nullable, "Algorithm of os_hash_value", True, maxLength=64),
        "os_hash_value": _prop(nullable, "Hexdigest of the image contents", True, maxLength=128),
        "owner": _prop(nullable, "Owner of the image", maxLength=255),
        "size": _prop(["null", "integer"], "Size of image file in bytes", True),
        "virtual_size": _prop(["null", "integer"], "Virtual size of image in bytes", True),
        "container_format": _prop(
            nullable, "Format of the container", enum=[None, *CONTAINER_FORMATS]
        ),
        "disk_format": _prop(nullable, "Format of the disk", enum=[None, *DISK_FORMATS]),
        "created_at": _prop("string", "Date and time of image registration", True),
        "updated_at": _prop("string", "Date and time of the last image modification", True),
        "tags": _prop(
            "array",
            "List of strings related to the image",
            items={"type": "string", "maxLength": 255},
        ),
        "direct_url": _prop("string", "URL to access the image file in its store", True),
        "min_ram": _prop("integer", "Amount of ram (in MB) required to boot image."),
        "min_disk": _prop("integer", "Amount of disk space (in GB) required to boot image."),
        "self": _prop("string", "An image self url", True),
        "file": _prop("string", "An image file url", True),
        "stores": _prop("string", "Stores the image data resides in", True),
        "schema": _prop("string", "An image schema url", True),
        "locations": _prop(
            "array", "A set of URLs to access the image file kept in external store", items=location
        ),
    }


def _custom_properties() -> dict[str, Any]:
    def custom(description: str, **more: Any) -> dict[str, Any]:
        return {"type": "string", "description": description, "is_base": False, **more}

    return {
        "kernel_id": custom(
            "ID of image stored in Glance used as the kernel when booting an AMI image.",
            type=["null", "string"],
            pattern=_UUID,
        ),
        "ramdisk_id": custom(
            "ID of image stored in Glance used as the ramdisk when booting an AMI image.",
            type=["null", "string"],
            pattern=_UUID,
        ),
        "instance_uuid": custom("Metadata which can be used to record which instance this is."),
        "architecture": custom("Operating system architecture"),
        "os_distro": custom("Common name of operating system distribution"),
        "os_version": custom("Operating system version as specified by the distributor"),
        "description": custom("A human-readable string describing this image."),
        "cinder_encryption_key_id": custom("Identifier in the OpenStack Key Management Service"),
        "cinder_encryption_key_deletion_policy": custom(
            "States the condition under which the key is deleted.",
            enum=["on_image_deletion", "do_not_delete"],
        ),
    }


def image_schema() -> dict[str, Any]:
    """``GET /v2/schemas/image``."""
    return {
        "name": "image",
        "properties": {**_base_properties(), **_custom_properties()},
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def images_schema() -> dict[str, Any]:
    """``GET /v2/schemas/images``: a page of images."""
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema()},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }
