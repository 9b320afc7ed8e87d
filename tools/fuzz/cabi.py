"""The C ABI as the fuzzers see it: Include/swiftpg.h parsed into functions,
parameters, structs and #defines, turned into ctypes declarations, and the
library loaded from a private copy.

Nothing here imports the ``swiftpg`` Python package: the C fuzzer reads the
contract from the header itself, so a function added to the header is
enumerated (and must get a generator) without touching the fuzzer.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = os.path.join(ROOT, "Include", "swiftpg.h")
DEFAULT_LIBRARY = os.path.join(ROOT, "python", "swiftpg", "libswiftpg.so")

# C scalar type -> (ctypes type, size in bytes, signed, bits)
SCALARS = {
    "int32_t": ctypes.c_int32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "uint32_t": ctypes.c_uint32,
    "uint8_t": ctypes.c_uint8,
    "int8_t": ctypes.c_int8,
    "size_t": ctypes.c_size_t,
    "double": ctypes.c_double,
    "char": ctypes.c_char,
    "void": None,
}


@dataclass
class Param:
    name: str
    base: str            # "int32_t", "double", "char", "void", "swiftpg_pg_config", ...
    pointer: bool
    const: bool

    @property
    def is_struct(self) -> bool:
        return self.base.startswith("swiftpg_")

    def __str__(self) -> str:
        return f"{'const ' if self.const else ''}{self.base}{' *' if self.pointer else ' '}{self.name}"


@dataclass
class Function:
    name: str
    returns: str                 # "int32_t" or "const char *"
    params: list[Param] = field(default_factory=list)

    @property
    def returns_status(self) -> bool:
        return self.returns == "int32_t"

    def signature(self) -> str:
        return f"{self.returns} {self.name}({', '.join(map(str, self.params)) or 'void'})"


@dataclass
class Header:
    functions: dict[str, Function]
    structs: dict[str, list[tuple[str, str]]]     # name -> [(C type, field name)]
    defines: dict[str, float | int]

    def prefixed(self, prefix: str) -> dict[str, int]:
        """#defines whose name starts with ``prefix`` (e.g. "SWIFTPG_ALGO_")."""
        return {k: v for k, v in self.defines.items() if k.startswith(prefix)}


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _param(text: str) -> Param | None:
    text = " ".join(text.split())
    if text in ("", "void"):
        return None
    m = re.fullmatch(r"(const\s+)?([A-Za-z_]\w*)\s*(\*?)\s*([A-Za-z_]\w*)", text)
    if not m:
        raise ValueError(f"cannot parse parameter {text!r}")
    return Param(name=m.group(4), base=m.group(2), pointer=bool(m.group(3)), const=bool(m.group(1)))


def parse_header(path: str = HEADER) -> Header:
    raw = open(path, encoding="utf-8").read()
    defines: dict[str, float | int] = {}
    for m in re.finditer(r"^#define\s+(SWIFTPG_\w+)\s+(\S+)", raw, flags=re.M):
        value = m.group(2)
        try:
            defines[m.group(1)] = int(value, 0)
        except ValueError:
            try:
                defines[m.group(1)] = float(value)
            except ValueError:
                pass
    # Field-list macros (SWIFTPG_SEGMENT_CONFIG_FIELDS) expand in the structs that use them.
    macros = {}
    for m in re.finditer(r"^#define\s+(SWIFTPG_\w+_FIELDS)\s*\\\n((?:[^\n]*\\\n)*[^\n]*)", raw, flags=re.M):
        macros[m.group(1)] = _strip_comments(m.group(2).replace("\\\n", "\n"))
    text = _strip_comments(raw)
    for name, fields in macros.items():
        text = re.sub(r"#define\s+" + name + r"\s*\\\n(?:[^\n]*\\\n)*[^\n]*", " ", text)
        text = text.replace(name, fields)
    structs: dict[str, list[tuple[str, str]]] = {}
    for m in re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        fields = []
        for decl in m.group(2).split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            fm = re.fullmatch(r"([A-Za-z_]\w*)\s+([A-Za-z_]\w*)(?:\s*\[\s*(\w+)\s*\])?",
                              decl.replace("\\", " ").strip())
            if not fm:
                raise ValueError(f"cannot parse field {decl!r} of struct {m.group(3)}")
            if fm.group(3) is None:
                fields.append((fm.group(1), fm.group(2)))
            else:                                   # a fixed array: "int32_t[8]" (the length may be a #define)
                length = fm.group(3)
                count = int(length, 0) if length[0].isdigit() else defines.get(length)
                if not isinstance(count, int) or count < 1:
                    raise ValueError(f"cannot size field {decl!r} of struct {m.group(3)}")
                fields.append((f"{fm.group(1)}[{count}]", fm.group(2)))
        structs[m.group(3)] = fields
    functions: dict[str, Function] = {}
    body = re.sub(r"typedef\s+struct\s+\w+\s*\{.*?\}\s*\w+\s*;", ";", text, flags=re.S)
    for chunk in body.split(";"):
        m = re.fullmatch(r"\s*(?:#[^\n]*\n\s*|extern\s+\"C\"\s*\{\s*|\}\s*)*"
                         r"((?:const\s+)?\w+\s*\*?)\s*\b(swiftpg_\w+)\s*\(([^)]*)\)\s*", chunk, flags=re.S)
        if not m:
            if re.search(r"\bswiftpg_\w+\s*\(", chunk):
                raise ValueError(f"cannot parse declaration {' '.join(chunk.split())!r}")
            continue
        returns = " ".join(m.group(1).replace("*", " *").split())
        params = [p for p in (_param(t) for t in m.group(3).split(",")) if p is not None]
        functions[m.group(2)] = Function(m.group(2), returns, params)
    return Header(functions, structs, defines)


def struct_type(header: Header, name: str) -> type:
    """A ctypes Structure for a header struct (cached per header)."""
    cache = header.__dict__.setdefault("_ctypes_structs", {})
    if name not in cache:
        fields = []
        for ctype, fname in header.structs[name]:
            array = re.fullmatch(r"(\w+)\[(\d+)\]", ctype)
            fields.append((fname, SCALARS[array.group(1)] * int(array.group(2)) if array else SCALARS[ctype]))
        cache[name] = type(name, (ctypes.Structure,), {"_fields_": fields})
    return cache[name]


def argtype(header: Header, p: Param):
    """The ctypes type a fuzzer passes for ``p``: every pointer as a raw
    ``c_void_p`` (so NULL, misaligned and sized buffers are all expressible)."""
    if p.pointer:
        return ctypes.c_void_p
    return SCALARS[p.base]


def private_copy(library: str | None = None) -> str:
    """Copies the library to a private temporary file and returns its path.

    ``make lib`` overwrites python/swiftpg/libswiftpg.so in place; a process
    that has the old file mapped would then crash (SIGBUS) for a reason that
    has nothing to do with the call it was making. Fuzzing a private copy
    keeps deaths meaningful."""
    source = library or os.environ.get("SWIFTPG_LIBRARY") or DEFAULT_LIBRARY
    if not os.path.isfile(source):
        raise SystemExit(f"library not found: {source} (build it with `make lib` or set SWIFTPG_LIBRARY)")
    directory = tempfile.mkdtemp(prefix="swiftpg-fuzz-lib-")
    target = os.path.join(directory, "libswiftpg.so")
    shutil.copy2(source, target)
    return target


def describe_library(path: str) -> str:
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()[:12]
    return f"{path} (sha256 {digest})"


def load(path: str, header: Header) -> ctypes.CDLL:
    """Loads the library and declares every header function's argtypes and
    restype. Raises SystemExit if the library's ABI version differs from the
    header's (the struct layouts would not match)."""
    lib = ctypes.CDLL(path)
    missing = [name for name in header.functions if not hasattr(lib, name)]
    if missing:
        raise SystemExit(f"{path} does not export {', '.join(missing)} (declared in the header)")
    for fn in header.functions.values():
        f = getattr(lib, fn.name)
        f.argtypes = [argtype(header, p) for p in fn.params]
        f.restype = ctypes.c_int32 if fn.returns_status else ctypes.c_char_p
    version = ctypes.c_int32(-1)
    lib.swiftpg_abi_version(ctypes.addressof(version))
    expected = header.defines.get("SWIFTPG_ABI_VERSION")
    if version.value != expected:
        raise SystemExit(f"{path} has ABI version {version.value}, the header declares {expected}: rebuild the library")
    return lib
