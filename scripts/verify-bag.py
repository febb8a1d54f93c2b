#!/usr/bin/env python3
"""Checks the custody evidence of an isnad evidence package, independently of isnad.

Usage: python3 verify-bag.py --key ARCHIVE.vkey BAG_FOLDER

Python 3 standard library and the `openssl` command only. Run it after checking the
BagIt manifests with sha256sum (docs/verifying.md). It checks:
  1. the signature of data/custody/checkpoint (C2SP signed note, Ed25519) by the key;
  2. every entry's RFC 9162 inclusion proof against that checkpoint's root;
  3. every earlier checkpoint's signature and its RFC 9162 consistency proof;
  4. every exhibit's bytes against the sha256 recorded in its item.ingested entry.
Prints each problem; exits 1 if there is any, 0 otherwise.
"""
import base64, hashlib, json, os, subprocess, sys, tempfile

problems = []


def problem(file, what):
    problems.append(f"{file}: {what}")
    print(f"FAIL {file}: {what}")


def b64(s):
    return base64.b64decode(s, validate=True)


# ---- C2SP signed notes with Ed25519 (c2sp.org/signed-note, docs/formats/checkpoint.md)
def parse_vkey(vkey):
    name, key_id, key = vkey.strip().split("+", 2)
    key = b64(key)
    assert key[0] == 1 and len(key) == 33, "not an Ed25519 vkey"
    want = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    assert want.hex() == key_id, "the key id does not match the key"
    return name, bytes.fromhex(key_id), key[1:]


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


def open_checkpoint(path, key):
    """Returns (size, root) of a signed checkpoint, or None after saying why."""
    name, key_id, public_key = key
    note = open(path, "rb").read().decode("utf-8")
    text, _, sigs = note.partition("\n\n")
    text += "\n"
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "\u2014" and parts[1] == name:
            sig = b64(parts[2])
            if sig[:4] == key_id:
                if not ed25519_verify(public_key, text.encode(), sig[4:]):
                    problem(path, "the signature does not verify")
                    return None
                origin, size, root = text.split("\n")[:3]
                if origin != name:
                    problem(path, f"origin {origin!r} is not the key's name")
                    return None
                return int(size), b64(root)
    problem(path, "no signature by the key")
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


def main(argv):
    if len(argv) != 4 or argv[1] != "--key":
        sys.exit(__doc__)
    key = parse_vkey(open(argv[2]).read())
    os.chdir(argv[3])
    custody = "data/custody"
    head = open_checkpoint(f"{custody}/checkpoint", key)
    if head is None:
        return 1
    n, root = head
    print(f"checkpoint: size {n}, signed by {key[0]}")

    ingested = {}  # leaf index -> sha256 of item.ingested entries whose proof holds
    k = 0
    for k, line in enumerate(open(f"{custody}/entries.jsonl", encoding="utf-8"), 1):
        e = json.loads(line)
        entry = e["entry"].encode("utf-8")
        proof = [b64(h) for h in e["inclusion"]]
        if not verify_inclusion(e["leaf_index"], n, leaf_hash(entry), proof, root):
            problem(f"{custody}/entries.jsonl", f"line {k}: the inclusion proof does not hold")
            continue
        body = json.loads(entry)
        if body["type"] == "item.ingested":
            ingested[e["leaf_index"]] = body["sha256"]
    print(f"entries: {k} inclusion proofs checked")

    consistency_file = f"{custody}/consistency.jsonl"
    if os.path.exists(consistency_file):
        for line in open(consistency_file, encoding="utf-8"):
            c = json.loads(line)
            path = f"{custody}/checkpoints/{c['old_size']}"
            old = open_checkpoint(path, key)
            if old is None:
                continue
            proof = [b64(h) for h in c["proof"]]
            if old[0] != c["old_size"] or c["new_size"] != n or \
                    not verify_consistency(old[0], n, proof, old[1], root):
                problem(path, "the consistency proof to the checkpoint does not hold")
            else:
                print(f"checkpoint {old[0]}: signed, consistent with {n}")

    for item in sorted(os.listdir("data/exhibits")):
        meta = json.load(open(f"data/exhibits/{item}/metadata.json", encoding="utf-8"))
        path = f"data/exhibits/{item}/{meta['file']}"
        recorded = ingested.get(int(item[1:]))
        if recorded is None:
            problem(path, f"no proved item.ingested entry {item[1:]}")
        elif sha256_file(path) != recorded:
            problem(path, "its bytes do not hash to the sha256 in its custody entry")
        else:
            print(f"exhibit {item}: sha256 {recorded} as recorded in log entry {item[1:]}")

    print(f"FAILED: {len(problems)} problem(s)" if problems else "OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
