#!/usr/bin/env python3
"""Checks the custody evidence of an isnad evidence package, independently of isnad.

Usage: python3 verify-bag.py --key ARCHIVE.vkey|'VKEY TEXT' BAG_FOLDER|BAG.zip

Python 3 standard library and the `openssl` command only. Run it after checking the
BagIt manifests with sha256sum (docs/verifying.md). It checks:
  1. that the bag holds regular files only (no symbolic link is followed) and nothing
     an export does not write, so that a file planted with the manifests remade fails;
  2. the signature of data/custody/checkpoint (C2SP signed note, Ed25519) by the key,
     data/custody/log.vkey and bag-info.txt's Isnad-* fields against it, and the
     archive's signed statement over manifest-sha256.txt (isnad-statement.txt), which
     with sha256sum's check of that manifest vouches for every payload file;
  3. every entry's RFC 9162 inclusion proof against that checkpoint's root;
  4. every earlier checkpoint's signature and its RFC 9162 consistency proof;
  5. every long note, analysis file and timestamp token a proved entry names is there,
     and every note and analysis file hashes to its name;
  6. every exhibit's bytes against the sha256 recorded in its item.ingested entry, and
     every proved item.ingested entry, and every item a proved link or case event names,
     against an exhibit in the bag (an item a later proved unlink took out, and a
     document of an event a later proved case.event_withdrawn took back, excepted).
Prints each problem; exits 1 if there is any, 0 otherwise.
"""
import atexit, base64, hashlib, json, os, re, shutil, stat, subprocess, sys, tempfile, zipfile

problems = []
files = set()  # every regular file of the bag, relative, found without following links
DECIMAL = re.compile(r"0|[1-9][0-9]*")
HEX64 = re.compile(r"[0-9a-f]{64}")
STATEMENT = "isnad-statement.txt"  # the archive's signature over manifest-sha256.txt


def problem(file, what):
    problems.append(f"{file}: {what}")
    print(f"FAIL {file}: {what}")


class Bad(Exception):
    pass


def b64(s, size=None):
    try:
        raw = base64.b64decode(s, validate=True)
    except (TypeError, ValueError):
        raise Bad(f"{s!r:.60} is not base64")
    if size is not None and len(raw) != size:
        raise Bad(f"a hash of {len(raw)} bytes, not {size}")
    return raw


def read(path, limit=1 << 24):
    """The bytes of a file the walk found (never through a link, never outside)."""
    if path not in files:
        raise Bad("missing")
    if os.path.getsize(path) > limit:
        raise Bad(f"over {limit} bytes: not what an export writes")
    with open(path, "rb") as f:
        return f.read(limit + 1)


def walk():
    def unreadable(e):
        problem(os.path.relpath(e.filename, "."), f"cannot be read ({e.strerror})")

    for top, dirs, names in os.walk(".", onerror=unreadable):
        for n in sorted(dirs + names):
            rel = os.path.relpath(os.path.join(top, n), ".")
            mode = os.lstat(rel).st_mode
            if stat.S_ISREG(mode):
                files.add(rel)
            elif not stat.S_ISDIR(mode):
                problem(rel, "not a regular file or folder (a symbolic link?): not followed")


# ---- C2SP signed notes with Ed25519 (c2sp.org/signed-note, docs/formats/checkpoint.md)
def parse_vkey(vkey):
    name, key_id, key = vkey.strip().split("+", 2)
    key = b64(key)
    assert key[0] == 1 and len(key) == 33, "not an Ed25519 vkey"
    want = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    assert want.hex() == key_id, "the key id does not match the key"
    return name, bytes.fromhex(key_id), key[1:], vkey.strip()


def ed25519_verify(public_key, message, signature):
    # SubjectPublicKeyInfo DER for an Ed25519 key (RFC 8410), then openssl checks it.
    der = bytes.fromhex("302a300506032b6570032100") + public_key
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("key.der", "msg", "sig")}
        for n, data in (("key.der", der), ("msg", message), ("sig", signature)):
            with open(paths[n], "wb") as f:
                f.write(data)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
                            "-inkey", paths["key.der"], "-rawin", "-in", paths["msg"],
                            "-sigfile", paths["sig"]], capture_output=True)
        return r.returncode == 0


def open_note(path, key):
    """The text of a signed note whose signature by the key holds; raises Bad."""
    name, key_id, public_key, _ = key
    try:
        text, _, sigs = read(path, 1 << 16).decode("utf-8").partition("\n\n")
    except UnicodeDecodeError:
        raise Bad("not UTF-8")
    text += "\n"
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "\u2014" and parts[1] == name:
            sig = b64(parts[2])
            if sig[:4] == key_id:
                if not ed25519_verify(public_key, text.encode(), sig[4:]):
                    raise Bad("the signature does not verify")
                return text
    raise Bad("no signature by the key")


def open_checkpoint(path, key):
    """Returns (size, root) of a signed checkpoint, or None after saying why."""
    try:
        origin, size, root = (open_note(path, key).split("\n") + ["", ""])[:3]
        if origin != key[0]:
            raise Bad(f"origin {origin!r} is not the key's name")
        if not DECIMAL.fullmatch(size):
            raise Bad(f"size {size!r} is not a number")
        return int(size), b64(root, 32)
    except Bad as e:
        problem(path, str(e))
        return None


# ---- RFC 9162 Merkle tree hashing and proofs (section 2.1)
def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):  # RFC 9162 2.1.3.2
    if index >= size or len(root) != 32:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(size1, size2, proof, root1, root2):  # RFC 9162 2.1.4.2
    if size1 == 0 or size1 > size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first node
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root1 and sr == root2


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def json_lines(path, need):
    """(line number, object) of each line of a JSON Lines file with the members `need`."""
    try:
        text = read(path, 1 << 30).decode("utf-8")
    except (Bad, UnicodeDecodeError) as e:
        problem(path, str(e))
        return
    lines = text.split("\n")  # not splitlines(): U+2028 or U+0085 may be inside an entry
    for k, line in enumerate(lines[:-1] if lines[-1] == "" else lines, 1):
        try:
            j = json.loads(line)
            if not isinstance(j, dict) or any(m not in j for m in need):
                raise ValueError
            yield k, j
        except (ValueError, RecursionError):
            problem(path, f"line {k}: not a JSON object with {', '.join(need)}")


def size_of(j, member):
    v = j.get(member)
    if type(v) is not int or v < 0:
        raise Bad(f"{member} is not a size")
    return v


def usage(message):
    """A mistake in how the script was called, not a finding about the bag: exit 2."""
    print(f"usage: {message}\n{__doc__.splitlines()[2]}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) != 4 or argv[1] != "--key":
        usage("give --key and the bag")
    sys.stdout.reconfigure(errors="backslashreplace")  # a file name that is not UTF-8
    # The key: a file holding it (ARCHIVE.vkey), or its text itself.
    key_text = open(argv[2]).read() if os.path.isfile(argv[2]) else argv[2]
    try:
        key = parse_vkey(key_text)
    except Exception:
        usage(f"--key {argv[2]!r} is neither a file holding the archive's public key nor the "
              "key itself (NAME+KEYID+BASE64)")
    bag = argv[3]
    if os.path.isfile(bag) and zipfile.is_zipfile(bag):
        # A .zip package: unpacked into a temporary folder (zipfile keeps every name
        # inside it and writes no link), then checked as a folder.
        unpacked = tempfile.mkdtemp(prefix="verify-bag-")
        atexit.register(shutil.rmtree, unpacked, ignore_errors=True)
        with zipfile.ZipFile(bag) as z:
            z.extractall(unpacked)
        inside = os.listdir(unpacked)
        bag = unpacked
        if len(inside) == 1 and os.path.isdir(os.path.join(unpacked, inside[0])):
            bag = os.path.join(unpacked, inside[0])  # the package's own folder
    elif not os.path.isdir(bag):
        usage(f"{bag!r} is not a folder or a .zip file (unpack a .tar or .tar.gz first)")
    os.chdir(bag)
    walk()
    vouched = {f for f in files if "/" not in f and (f in ("bagit.txt", "bag-info.txt") or
               re.fullmatch(r"(tag)?manifest-[a-z0-9]+\.txt", f))}
    vouched.add(STATEMENT)
    custody = "data/custody"
    vouched |= {"data/README.txt", f"{custody}/log.vkey", f"{custody}/checkpoint",
                f"{custody}/entries.jsonl", f"{custody}/consistency.jsonl",
                "data/tools/verifying.md", "data/tools/verify-bag.py"}
    vouched |= {f"data/report/report-{l}.{x}" for l in ("en", "ar") for x in ("html", "pdf")}
    token_name = re.compile(rf"{custody}/timestamps/(0|[1-9][0-9]*)-(0|[1-9][0-9]*)\.tst")
    vouched |= {f for f in files if token_name.fullmatch(f)}
    try:  # step 4 of docs/verifying.md checks the tokens
        if read(f"{custody}/log.vkey").decode().strip() != key[3]:
            problem(f"{custody}/log.vkey", f"is not the key given ({key[3]})")
    except (Bad, UnicodeDecodeError) as e:
        problem(f"{custody}/log.vkey", str(e))
    head = open_checkpoint(f"{custody}/checkpoint", key)
    if head is None:
        print("FAILED: the checkpoint is not signed by the key")
        return 1
    n, root = head
    print(f"checkpoint: size {n}, signed by {key[0]}")
    want = {"Isnad-Checkpoint-Size": str(n), "Isnad-Vkey": key[3],
            "Isnad-Checkpoint-Root": base64.b64encode(root).decode()}
    try:
        seen = set()
        for line in read("bag-info.txt").decode("utf-8", "replace").splitlines():
            label, _, value = line.partition(":")
            if label.lower().startswith("isnad-") and label.lower() in seen:
                problem("bag-info.txt", f"gives {label} twice")
            seen.add(label.lower())
            if want.pop(label, value.strip()) != value.strip():
                problem("bag-info.txt", f"{label} is not that of the checkpoint and the key")
    except Bad as e:
        problem("bag-info.txt", str(e))

    # The archive's signature over the payload manifest: every file in data/ at once.
    if STATEMENT in files:
        try:
            want = (f"isnad bag statement v1\norigin {key[0]}\ncheckpoint {n}\n"
                    f"manifest-sha256.txt {sha256_file('manifest-sha256.txt')}\n"
                    if "manifest-sha256.txt" in files else None)
            if open_note(STATEMENT, key) != want:
                raise Bad("does not state this bag's manifest-sha256.txt, checkpoint and origin: "
                          "a payload file was changed, added or taken out since export")
            print("statement: the archive signed manifest-sha256.txt (every payload file)")
        except Bad as e:
            problem(STATEMENT, str(e))
    else:
        print(f"warning: {STATEMENT} is absent: the bag is not signed as a whole (exported "
              "without the archive's secret key, or before isnad signed bags). Every entry "
              "still present is proved, but an entry taken out of entries.jsonl could not be "
              "noticed, and the titles, statuses and dates of metadata.json and the report are "
              "not vouched for; nor is this script, if it came in the package")

    proved = {}  # leaf index -> parsed entry, for the entries whose proof holds
    last = -1
    for k, e in json_lines(f"{custody}/entries.jsonl", ("entry", "inclusion", "leaf_index")):
        try:
            leaf = size_of(e, "leaf_index")
            if leaf <= last:
                raise Bad(f"entry {leaf} is out of order (after entry {last})")
            last = leaf
            if not isinstance(e["entry"], str) or not isinstance(e["inclusion"], list):
                raise Bad("entry is not a string, or inclusion not a list")
            entry = e["entry"].encode("utf-8")
            if not verify_inclusion(leaf, n, leaf_hash(entry),
                                    [b64(h, 32) for h in e["inclusion"]], root):
                raise Bad("the inclusion proof does not hold")
            proved[leaf] = json.loads(entry)
            if not isinstance(proved[leaf], dict):
                raise Bad("the entry is not a JSON object")
            if proved[leaf].get("type") == "archive.created" and proved[leaf].get("vkey") != key[3]:
                raise Bad("archive.created names another key")
        except (Bad, ValueError, RecursionError) as x:  # ValueError: a proved entry not JSON
            problem(f"{custody}/entries.jsonl", f"line {k}: {x}")
    print(f"entries: {len(proved)} inclusion proofs checked")

    proofs = {}  # old size -> (new size, proof)
    for k, c in json_lines(f"{custody}/consistency.jsonl", ("old_size", "new_size", "proof")) \
            if f"{custody}/consistency.jsonl" in files else ():
        try:
            if not isinstance(c["proof"], list):
                raise Bad("proof is not a list")
            old = size_of(c, "old_size")
            proofs[old] = (size_of(c, "new_size"), [b64(h, 32) for h in c["proof"]])
            if f"{custody}/checkpoints/{old}" not in files:
                raise Bad(f"no checkpoint {custody}/checkpoints/{old}")
        except Bad as x:
            problem(f"{custody}/consistency.jsonl", f"line {k}: {x}")
    def by_size(path):  # checkpoints/4 before checkpoints/12
        name = path.rpartition("/")[2]
        return (0, int(name), "") if DECIMAL.fullmatch(name) else (1, 0, name)
    for path in sorted((f for f in files if f.startswith(f"{custody}/checkpoints/")), key=by_size):
        vouched.add(path)
        name = path.rpartition("/")[2]
        old = open_checkpoint(path, key)
        if old is None:
            continue
        if not DECIMAL.fullmatch(name) or old[0] != int(name):
            problem(path, f"is a checkpoint of size {old[0]}")
        elif old[0] not in proofs:
            problem(path, f"no consistency proof for it in {custody}/consistency.jsonl")
        elif proofs[old[0]][0] != n or not verify_consistency(old[0], n, proofs[old[0]][1],
                                                              old[1], root):
            problem(path, "the consistency proof to the checkpoint does not hold")
        else:
            print(f"checkpoint {old[0]}: signed, consistent with {n}")

    # Files stored by their SHA-256, each named by a proved entry.
    by_hash = {"notes": {e.get("text_sha256") for e in proved.values()
                         if e.get("type") == "note.added" and "text_sha256" in e},
               "analysis": {e.get(m) for e in proved.values() if e.get("type") == "item.analyzed"
                            for m in ("metadata_sha256", "text_sha256", "frames_sha256") if m in e}}
    for kind, named in by_hash.items():
        for path in sorted(f for f in files if f.startswith(f"{custody}/{kind}/")):
            vouched.add(path)
            hex = path.rpartition("/")[2][:64]
            if (kind == "notes" and not path.endswith(f"/{hex}.txt")) or sha256_file(path) != hex:
                problem(path, "its bytes do not hash to its name")
            elif hex not in named:
                problem(path, "no proved entry in entries.jsonl names it")
            named.discard(hex)
        for hex in sorted(named):
            problem(f"{custody}/{kind}/{hex}{'.txt' if kind == 'notes' else ''}",
                    "missing: a proved entry names it")

    # Each token a proved timestamp.added entry records is in the bag (step 4 checks it).
    tokens = {(int(m.group(1)), sha256_file(f)) for f in files if (m := token_name.fullmatch(f))}
    for leaf, e in sorted(proved.items()):
        if e.get("type") == "timestamp.added" and \
                (e.get("checkpoint_size"), e.get("token_sha256")) not in tokens:
            problem(f"{custody}/timestamps/", f"missing: the token proved entry {leaf} records")

    def ingested(item):  # the proved item.ingested entry of an item id such as i42
        e = proved.get(int(item[1:])) if re.fullmatch(r"i(0|[1-9][0-9]*)", item) else None
        return e if e is not None and e.get("type") == "item.ingested" else None

    exhibits = set()
    for item in sorted(f.split("/")[2] for f in files if f.startswith("data/exhibits/")):
        if item in exhibits:
            continue
        exhibits.add(item)
        folder = f"data/exhibits/{item}"
        vouched.add(f"{folder}/metadata.json")
        entry = ingested(item)
        try:
            if entry is None:
                raise Bad(f"no proved item.ingested entry for {item} in entries.jsonl")
            meta = json.loads(read(f"{folder}/metadata.json", 1 << 28))
            name = meta.get("file") if isinstance(meta, dict) else None
            if not isinstance(name, str) or "/" in name or name == "metadata.json" or \
                    f"{folder}/{name}" not in files:
                raise Bad("metadata.json does not name a file of the folder")
            vouched.add(f"{folder}/{name}")
            if meta.get("sha256") != entry.get("sha256"):
                problem(f"{folder}/metadata.json", "sha256 is not that of its custody entry")
            listed = meta.get("custody_entries", [])  # one taken out is missed otherwise
            if not isinstance(listed, list):
                problem(f"{folder}/metadata.json", "custody_entries is not a list of entry indices")
                listed = []
            for leaf in listed:
                if type(leaf) is not int or leaf not in proved:
                    problem(f"{folder}/metadata.json", f"names custody entry {leaf}, but "
                            "entries.jsonl holds no proved entry of that index: it was taken out, "
                            "or its proof failed")
        except (Bad, ValueError, RecursionError) as x:  # ValueError: not JSON
            problem(f"{folder}/metadata.json", str(x))
            continue
        path = f"{folder}/{name}"
        if sha256_file(path) != entry["sha256"]:
            problem(path, "its bytes do not hash to the sha256 in its custody entry")
        else:
            print(f"exhibit {item}: sha256 {entry['sha256']} as recorded in log entry {item[1:]}")
    # An item taken out of the case or incident by a later proved entry
    # (case.unlinked, incident.unlinked) is rightly not an exhibit; nor are the
    # documents of a case event withdrawn by a proved entry (case.event_withdrawn).
    withdrawn = {}
    events_withdrawn = {str(e.get("event")): leaf for leaf, e in proved.items()
                        if e.get("type") == "case.event_withdrawn"}
    for leaf, e in sorted(proved.items()):
        owner = {"case.unlinked": "case", "incident.unlinked": "incident"}.get(e.get("type"))
        if owner and isinstance(e.get("items"), list):
            for i in e["items"]:
                withdrawn[(str(e.get(owner)), str(i))] = leaf
    for leaf, e in sorted(proved.items()):  # each item a proved entry names is an exhibit
        named = {f"i{leaf}": None} if e.get("type") == "item.ingested" else {}
        if e.get("type") == "capture.extracted":
            named = {str(e[m]): e.get(f"{m}_sha256") for m in ("media", "info") if m in e}
        # An export keeps these only when every item they name is an exhibit.
        member = {"case.linked": "items", "incident.linked": "items",
                  "case.event": "documents"}.get(e.get("type"))
        if member and isinstance(e.get(member), list):
            named = {str(i): None for i in e[member]}
        if e.get("type") == "case.event" and events_withdrawn.get(f"ev{leaf}", -1) > leaf:
            named = {}
        if e.get("type") in ("case.linked", "incident.linked"):
            owner = str(e.get("case" if e["type"] == "case.linked" else "incident"))
            named = {i: h for i, h in named.items() if withdrawn.get((owner, i), -1) <= leaf}
        for item, sha in named.items():
            if item not in exhibits:
                problem(f"data/exhibits/{item}/", f"missing: proved entry {leaf} names it")
            elif sha is not None and (ingested(item) or {}).get("sha256") != sha:
                problem(f"{custody}/entries.jsonl", f"entry {leaf}: its sha256 of {item} is not "
                        "that of the item's entry")
    if not exhibits:
        problem("data/exhibits/", "the bag holds no exhibit")
    for f in sorted(files - vouched):
        base = f.rpartition("/")[2]
        if base not in ("Thumbs.db", "desktop.ini", ".DS_Store") and not base.startswith("._"):
            problem(f, "not part of an isnad export: nothing vouches for it")
        else:
            print(f"warning: {f}: left by an operating system? nothing vouches for it")

    if problems:
        print(f"FAILED: {len(problems)} problem(s)")
    elif STATEMENT not in files:
        print("PROVED IN PART: every entry present is proved, but the bag is not signed as a "
              "whole: an entry taken out, or a title, status or date changed in metadata.json "
              "or the report, would not be noticed")
    else:
        print("OK")
    return 1 if problems or STATEMENT not in files else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # a bag no check above foresaw: say so plainly, and fail
        print(f"FAIL: the checks could not finish ({type(e).__name__}: {e}); the bag is not "
              "verified: report this and the bag to its keeper")
        sys.exit(1)
