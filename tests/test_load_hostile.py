"""Loading a file is safe: a hostile or broken file is refused cheaply and by name, a refused
load changes nothing, and saving keeps every name.

The oracles: tracemalloc for memory, the model's own state before the load (bit for bit), and
numpy.load for what a saved file holds.
"""

import functools
import re
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from tinygrad_edu import nn

GIB = 1 << 30


def small_model():
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng))


def snapshot(model):
    """Every parameter and buffer (copies), and the arrays themselves (loads are in place)."""
    return [
        (name, np.array(p if buf else p.data), id(p if buf else p.data))
        for name, p, buf in model._named_state()
    ]


def assert_unchanged(model, before):
    after = snapshot(model)
    assert [name for name, _, _ in after] == [name for name, _, _ in before]
    for (_, a, ida), (_, b, idb) in zip(after, before, strict=True):
        assert a.dtype == b.dtype and ida == idb
        np.testing.assert_array_equal(a, b)


def npy_member(header: str, data: bytes = b"", version=(1, 0)) -> bytes:
    """A .npy member written by hand: magic, version, header length, header, numbers."""
    text = header.encode("latin1")
    size = struct.pack("<H", len(text)) if version == (1, 0) else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + data


def write_zip(path, members):
    """A zip archive written byte by byte: ``members`` is a list of (name, method, compressed
    bytes, crc32, uncompressed size), so a member may claim any size it likes."""
    out, central = bytearray(), bytearray()
    for name, method, raw, crc, size in members:
        encoded = name.encode()
        fields = (20, 0, method, 0, 0x21, crc, len(raw), size, len(encoded), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, len(out))
        central += encoded
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def stored(name, data: bytes):
    return (name, zipfile.ZIP_STORED, data, zlib.crc32(data), len(data))


def model_members(model):
    members = []
    for name, array in model.state_dict().items():
        header = f"{{'descr': '{array.dtype.str}', 'fortran_order': False, 'shape': {array.shape}, }}"
        members.append(stored(name + ".npy", npy_member(header.ljust(118) + "\n", array.tobytes())))
    return members


@functools.lru_cache(maxsize=None)
def deflated_zeros(header: bytes, zeros: int):
    """A deflate stream of ``header`` and then ``zeros`` zero bytes (1 GiB deflates to about
    1 MB), made without ever holding the zeros: raw deflate pieces that each end on a full
    flush stand alone, so the piece for 16 MiB of zeros is repeated, and a final empty block
    closes the stream. Returns the stream and the CRC-32 of what it inflates to."""
    block = bytes(1 << 24)

    def piece(data):
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)

    final = zlib.compressobj(6, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = zlib.crc32(header)
    for _ in range(zeros // len(block)):
        crc = zlib.crc32(block, crc)
    return piece(header) + piece(block) * (zeros // len(block)) + final, crc


def deflated(name: str, header: bytes, zeros: int):
    raw, crc = deflated_zeros(header, zeros)
    return (name, zipfile.ZIP_DEFLATED, raw, crc, len(header) + zeros)


def peak_memory(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# ***** a gigabyte in a small file is refused before it is read *****

HUGE_HEADER = "{'descr': '<f8', 'fortran_order': False, 'shape': (134217728,), }".ljust(118) + "\n"


@pytest.mark.parametrize("how", ["declared", "deflated"])
@pytest.mark.parametrize("name", ["extra", "0.bias"])
def test_a_gigabyte_entry_is_refused_within_a_few_megabytes(tmp_path, how, name):
    model = small_model()
    before = snapshot(model)
    if how == "declared":  # the header claims 2**27 float64 numbers (1 GiB); the file is tiny
        big = stored(name + ".npy", npy_member(HUGE_HEADER, bytes(64)))
    else:  # a real member of 1 GiB of zeros, deflated to about 1 MB
        big = deflated(name + ".npy", npy_member(HUGE_HEADER), GIB)
    members = [m for m in model_members(model) if m[0] != name + ".npy"] + [big]
    path = tmp_path / "hostile.npz"
    write_zip(path, members)
    assert path.stat().st_size < 2_000_000

    def load():
        with pytest.raises(ValueError, match=r"cannot load '.*hostile.npz' into Sequential: ") as info:
            model.load(path)
        expected = (
            r"but not in this Sequential: \['extra'\]"
            if name == "extra"
            else r"'0.bias' \w+ shape \(134217728,\)"
        )
        assert re.search(expected, str(info.value)), info.value

    assert peak_memory(load) < 4_000_000  # bytes
    assert_unchanged(model, before)


# ***** every kind of broken file: one ValueError that names the file *****


def broken_files(tmp_path):
    """(kind, path) for each way a file can fail to be a model's .npz."""
    model = small_model()
    model.save(tmp_path / "good.npz")
    good = (tmp_path / "good.npz").read_bytes()
    f8 = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }".ljust(118) + "\n"
    members = {name: m for name, *m in model_members(model)}

    def with_bias(member_bytes):  # the good model's members with '0.bias.npy' replaced
        return [(n, *m) for n, *m in model_members(model) if n != "0.bias.npy"] + [
            stored("0.bias.npy", member_bytes)
        ]

    kinds = {
        "npy renamed": lambda p: (
            np.save(p.with_suffix(".npy"), np.zeros(3)) or p.with_suffix(".npy").rename(p)
        ),
        "text file": lambda p: p.write_text("weight,bias\n1,2\n"),
        "empty file": lambda p: p.write_bytes(b""),
        "cut in half": lambda p: p.write_bytes(good[: len(good) // 2]),
        "last byte cut": lambda p: p.write_bytes(good[:-1]),
        "not a .npy member": lambda p: write_zip(p, [stored("notes.txt", b"hello")]),
        "a name twice": lambda p: write_zip(p, model_members(model) + [model_members(model)[0]]),
        "no magic": lambda p: write_zip(p, with_bias(b"NOTNUMPY" + bytes(40))),
        "header too long": lambda p: write_zip(
            p, with_bias(npy_member("{" + " " * 20000 + "}\n", version=(2, 0)))
        ),
        "header not a dict": lambda p: write_zip(
            p, with_bias(npy_member("__import__('os')".ljust(118) + "\n"))
        ),
        "unknown version": lambda p: write_zip(p, with_bias(npy_member(f8, bytes(32), version=(9, 0)))),
        "header cut short": lambda p: write_zip(p, with_bias(npy_member(f8)[:20])),
        "negative shape": lambda p: write_zip(
            p, with_bias(npy_member("{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }\n"))
        ),
        "pickled objects": lambda p: write_zip(
            p, with_bias(npy_member("{'descr': '|O', 'fortran_order': False, 'shape': (4,), }\n", bytes(32)))
        ),
        "data cut short": lambda p: write_zip(p, with_bias(npy_member(f8, bytes(31)))),
        "bad checksum": lambda p: write_zip(
            p,
            [(n, *m) for n, *m in model_members(model) if n != "0.bias.npy"]
            + [("0.bias.npy", zipfile.ZIP_STORED, npy_member(f8, bytes(32)), 12345, 129 + 32)],
        ),
    }
    del members
    for kind, make in kinds.items():
        path = tmp_path / (kind.replace(" ", "_").replace(".", "") + ".npz")
        make(path)
        yield kind, path


def test_every_broken_file_is_one_value_error_naming_the_file(tmp_path):
    model = small_model()
    before = snapshot(model)
    seen = []
    for kind, path in broken_files(tmp_path):
        with pytest.raises(ValueError) as info:
            model.load(path)
        message = str(info.value)
        assert message.startswith(f"cannot load {str(path)!r} into Sequential: "), (kind, message)
        assert "pickle=" not in message and "allow_pickle" not in message, (kind, message)
        seen.append(kind)
        assert_unchanged(model, before)
    assert len(seen) == 16


def test_damage_found_while_reading_the_numbers_is_one_value_error_too(tmp_path):
    # members bigger than one read, so the header reads fine and the damage shows later
    model = nn.Linear(40, 40, rng=np.random.default_rng(1))
    before = snapshot(model)
    (name, method, raw, crc, size), *rest = model_members(model)
    write_zip(tmp_path / "crc.npz", [(name, method, raw, crc ^ 1, size), *rest])
    short = raw[:-100]  # the index claims the full size; the member holds less
    write_zip(tmp_path / "short.npz", [(name, method, short, zlib.crc32(short), size), *rest])
    for path, words in [
        ("crc.npz", "'weight' is damaged (Bad CRC-32"),
        ("short.npz", "'weight' is cut short"),
    ]:
        with pytest.raises(ValueError, match=rf"cannot load '.*{path}' into Linear: {re.escape(words)}"):
            model.load(tmp_path / path)
        assert_unchanged(model, before)


def test_files_numpy_writes_load_too_compressed_and_column_major(tmp_path):
    model, other = small_model(), nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    state = model.state_dict()
    state["0.weight"] = np.asfortranarray(state["0.weight"])  # stored column by column
    np.savez_compressed(tmp_path / "numpy.npz", **state)
    other.load(tmp_path / "numpy.npz")
    for (_, a, _), (_, b, _) in zip(snapshot(other), snapshot(model), strict=True):
        np.testing.assert_array_equal(a, b)


# ***** saving keeps every name, whatever it is *****


class Odd(nn.Module):
    """Parameters named like numpy.savez's own arguments, and a 0-d int64 buffer."""

    def __init__(self, seed):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.file = nn.Parameter(rng.normal(size=(2, 3)))
        self.allow_pickle = nn.Parameter(rng.normal(size=3))
        self.args = nn.Parameter(rng.normal(size=1))
        self.register_buffer("num_batches_tracked", np.array(2**62 + seed, dtype=np.int64))


def test_names_like_savez_arguments_are_saved_and_loaded(tmp_path):
    model, other = Odd(1), Odd(2)
    model.save(tmp_path / "odd")
    with np.load(tmp_path / "odd.npz", allow_pickle=False) as npz:  # an ordinary .npz file
        assert npz.files == ["file", "allow_pickle", "args", "num_batches_tracked"]
        np.testing.assert_array_equal(npz["allow_pickle"], model.allow_pickle.data)
    other.load(tmp_path / "odd.npz")
    for (na, a, _), (nb, b, _) in zip(snapshot(other), snapshot(model), strict=True):
        assert na == nb and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    # 2**62 + 1 is not a float64: the int64 buffer went through the file exactly, 0-d
    assert other.num_batches_tracked.shape == () and int(other.num_batches_tracked) == 2**62 + 1


def test_a_failed_save_leaves_the_earlier_file_as_it_was(tmp_path):
    model = Odd(3)
    model.save(tmp_path / "odd.npz")
    saved = (tmp_path / "odd.npz").read_bytes()
    model.register_buffer("text", np.array(["not", "numbers"], dtype=object))
    with pytest.raises(ValueError, match="pickle"):  # numpy refuses to write objects unpickled
        model.save(tmp_path / "odd.npz")
    assert (tmp_path / "odd.npz").read_bytes() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.npz"]


# ***** a refused load changes nothing, whatever the reason *****


def test_a_read_only_parameter_is_refused_before_anything_is_written(tmp_path):
    model, source = small_model(), nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model[2].bias.data.flags.writeable = False  # the last of four: three would be written first
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"'2.bias' is read-only in this module"):
        model.load_state_dict(source.state_dict())
    assert_unchanged(model, before)
    source.save(tmp_path / "source.npz")
    with pytest.raises(
        ValueError, match=r"cannot load '.*source.npz' into Sequential: '2.bias' is read-only"
    ):
        model.load(tmp_path / "source.npz")
    assert_unchanged(model, before)


@pytest.mark.parametrize("bad", [1.5, np.nan, np.inf, 2.0**70, np.array(2**63, dtype=np.uint64)])
def test_an_integer_buffer_takes_only_exact_whole_numbers(bad):
    model, state = Odd(1), Odd(2).state_dict()
    state["num_batches_tracked"] = bad  # the last entry: the three parameters come first
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"'num_batches_tracked' in the state dict is not exact int64"):
        model.load_state_dict(state)
    assert_unchanged(model, before)
    state["num_batches_tracked"] = 7.0  # a whole number in range is fine, as an int64
    model.load_state_dict(state)
    assert model.num_batches_tracked.dtype == np.int64 and int(model.num_batches_tracked) == 7


def test_a_buffer_replaced_by_a_plain_number_is_refused_before_anything_is_written():
    model, state = Odd(1), Odd(2).state_dict()
    model.num_batches_tracked = 5  # no longer an array: nothing to copy into in place
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"'num_batches_tracked' in this module is not an array but int"):
        model.load_state_dict(state)
    assert_unchanged(model, before)


class Unreadable:
    """An object that looks like a tensor but cannot give its numbers."""

    def numpy(self):
        raise RuntimeError("this tensor lives on another device")


class NoNumpyDtype:
    """A tensor of a dtype numpy lacks, with no ``.float()`` to turn it into one."""

    def numpy(self):
        raise TypeError("unsupported dtype")


def test_a_tensor_of_a_dtype_numpy_lacks_and_no_float_is_named():
    layer = nn.Linear(2, 1)
    before = snapshot(layer)
    with pytest.raises(
        ValueError, match=r"'weight' is not an array of numbers .*\(NoNumpyDtype: unsupported dtype\)"
    ):
        layer.load_state_dict({"weight": NoNumpyDtype(), "bias": np.zeros(1)})
    assert_unchanged(layer, before)


def test_values_of_a_scalar_model_are_all_or_nothing_and_a_bad_object_is_named():
    model, state = nn.MLP(2, [3, 1]), nn.MLP(2, [3, 1]).state_dict()
    last = list(state)[-1]
    state[last] = Unreadable()
    before = snapshot(model)
    with pytest.raises(
        ValueError, match=rf"'{re.escape(last)}' is not an array of numbers .*\(Unreadable: this tensor"
    ):
        model.load_state_dict(state)
    assert_unchanged(model, before)
    assert [p.data for p in model.parameters()] == [float(a) for _, a, _ in before]


def test_a_bfloat16_torch_tensor_loads_exactly():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(3, 2)
    weight = torch.tensor([[0.5, -1.25, 3.0], [2.0**-8, 1.0, -0.0078125]], dtype=torch.bfloat16)
    layer.load_state_dict({"weight": weight, "bias": torch.tensor([1.5, -2.0], dtype=torch.bfloat16)})
    np.testing.assert_array_equal(layer.weight.data, weight.double().numpy())  # all exact in bfloat16
    assert layer.bias.data.tolist() == [1.5, -2.0]
    cuda_like = nn.Linear(3, 2)
    before = snapshot(cuda_like)
    with pytest.raises(ValueError, match=r"'bias' is not an array of numbers in the state dict \(Unreadable"):
        cuda_like.load_state_dict({"weight": weight, "bias": Unreadable()})
    assert_unchanged(cuda_like, before)
