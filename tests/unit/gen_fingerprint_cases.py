#!/usr/bin/python3
"""Writes tests/unit/fingerprint_cases.h, the JA3/JA3S/JA4 cases that
tests/unit/test_fingerprint.c checks, from the corpus truth files:

  ../shared/corpus/generated/*.json  observed_wire.client_hellos[] (tshark:
      hello fields, ja3_full, ja3) with own_parser.client_hellos[] (ja4,
      ja4_r) and observed_wire.server_hellos[] (ja3s_full, ja3s);
  ../shared/corpus/ja4/*.json        JA4_ro.N (original order, so the hello
      can be rebuilt from it) with JA4.N and JA4_r.N expected.

Run from the repository root:  /usr/bin/python3 tests/unit/gen_fingerprint_cases.py
The header is committed; the corpus itself is not copied, only the fields a
test needs, one struct per distinct hello.
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(os.path.dirname(ROOT), 'shared', 'corpus')
OUT = os.path.join(ROOT, 'tests', 'unit', 'fingerprint_cases.h')

# tls-non-ascii-alpn.pcapng: its reference values print "99" for the ALPN
# (an older rule). The hello's first ALPN protocol is the two bytes ba ad
# (read from the capture); the current JA4.md prints first and last hex
# digits: "bd".
NON_ASCII_ALPN = {'tls-non-ascii-alpn.pcapng.json': (b'\xba\xad', 'bd')}


def c_str(b):
    if b is None:
        return 'NULL'
    if isinstance(b, str):
        b = b.encode()
    out = ''
    for x in b:
        if 0x20 <= x < 0x7f and chr(x) not in '"\\?':
            out += chr(x)
        else:
            out += '\\%03o' % x
    return '"%s"' % out


def u16_list(v):
    if not v:
        return 'NULL', 0
    return '(const uint16_t[]){ %s }' % ', '.join('0x%04x' % x for x in v), len(v)


def u8_list(v):
    if not v:
        return 'NULL', 0
    return '(const uint8_t[]){ %s }' % ', '.join('%d' % x for x in v), len(v)


def hexes(v):
    return [int(x, 16) if isinstance(x, str) else int(x) for x in (v or [])]


def client_case(name, legacy, suites, exts, groups, sigalgs, versions, pfs,
                sni, alpn, ja3_str, ja3, ja4, ja4_r):
    fields = [('name', c_str(name)), ('legacy_version', '0x%04x' % legacy)]
    for key, (arr, n) in (('suites', u16_list(suites)), ('exts', u16_list(exts)),
                          ('groups', u16_list(groups)), ('sigalgs', u16_list(sigalgs)),
                          ('versions', u16_list(versions))):
        fields += [(key, arr), ('n_' + key, str(n))]
    arr, n = u8_list(pfs)
    fields += [('point_formats', arr), ('n_point_formats', str(n))]
    fields += [('sni', c_str(sni))]
    if alpn:
        fields += [('alpn', '(const char *const[]){ %s }' % ', '.join(c_str(a) for a in alpn)),
                   ('alpn_len', '(const uint8_t[]){ %s }' % ', '.join(str(len(a)) for a in alpn)),
                   ('n_alpn', str(len(alpn)))]
    fields += [('ja3_str', c_str(ja3_str)), ('ja3', c_str(ja3)),
               ('ja4', c_str(ja4)), ('ja4_r', c_str(ja4_r))]
    return '\t{\n' + ''.join('\t\t.%s = %s,\n' % f for f in fields) + '\t},\n'


def generated_cases():
    clients, servers, seen, seen_s = [], [], set(), set()
    for path in sorted(glob.glob(os.path.join(CORPUS, 'generated', '*.json'))):
        d = json.load(open(path))
        base = os.path.basename(path)[:3]
        for conn in d.get('connections', []):
            wire = conn['observed_wire']
            own = (conn.get('own_parser') or {}).get('client_hellos', [])
            for i, ch in enumerate(wire.get('client_hellos', [])):
                if not ch.get('ja3'):
                    continue        # SSLv2 or malformed: no JA3 defined
                o = own[i] if i < len(own) else {}
                if o.get('ja3_full') != ch['ja3_full']:
                    o = {}
                key = (ch['ja3_full'], o.get('ja4_r'), ch.get('sni'), tuple(ch.get('alpn') or []))
                if key in seen:
                    continue
                seen.add(key)
                pf = ch['ja3_full'].split(',')[4]
                pfs = [int(x) for x in pf.split('-')] if pf else []
                clients.append(client_case(
                    '%s/%d' % (base, len(clients)),
                    int(ch['handshake_version'], 16), hexes(ch['cipher_suites']),
                    hexes(ch['extension_types']), hexes(ch.get('supported_groups')),
                    # tshark's sig_hash_algs also holds signature_algorithms_cert
                    # (50) entries; the own parser lists extension 13 alone
                    hexes(o.get('sig_algs') if o else ch.get('sig_hash_algs')),
                    hexes(ch.get('supported_versions')),
                    pfs, ch.get('sni'), [a.encode() for a in ch.get('alpn') or []],
                    ch['ja3_full'], ch['ja3'], o.get('ja4'), o.get('ja4_r')))
            for sh in wire.get('server_hellos', []):
                if not sh.get('ja3s') or sh['ja3s_full'] in seen_s:
                    continue
                seen_s.add(sh['ja3s_full'])
                arr, n = u16_list(hexes(sh.get('extension_types')))
                servers.append('\t{ %s, 0x%04x, 0x%04x, %s, %d, %s, %s },\n' % (
                    c_str(base), int(sh['handshake_version'], 16),
                    int(sh['cipher_suite'], 16), arr, n,
                    c_str(sh['ja3s_full']), c_str(sh['ja3s'])))
    return clients, servers


def ja4_cases():
    cases, seen = [], set()
    for path in sorted(glob.glob(os.path.join(CORPUS, 'ja4', '*.json'))):
        fname = os.path.basename(path)
        for s in json.load(open(path)):
            for k in sorted(s):
                if not k.startswith('JA4_ro.'):
                    continue
                n = k.split('.', 1)[1]
                ro, ja4, ja4_r = s[k], s.get('JA4.' + n), s.get('JA4_r.' + n)
                # one hello per distinct fingerprint: the captures repeat
                # the same browser many times
                if not ja4 or not ja4_r or ja4[0] != 't' or (ja4, ja4_r) in seen:
                    continue
                seen.add((ja4, ja4_r))
                parts = ro.split('_')
                a = parts[0]
                suites = [int(x, 16) for x in parts[1].split(',') if x]
                exts = [int(x, 16) for x in parts[2].split(',') if x] if len(parts) > 2 else []
                sigs = [int(x, 16) for x in parts[3].split(',') if x] if len(parts) > 3 else []
                ver = {'13': 0x0304, '12': 0x0303, '11': 0x0302, '10': 0x0301}[a[1:3]]
                legacy = min(ver, 0x0303)
                versions = [ver] + ([0x0303] if ver == 0x0304 else []) if 0x002b in exts else []
                sni = s.get('domain') if 0x0000 in exts else None
                chars = a[8:10]
                if fname in NON_ASCII_ALPN:
                    raw, chars = NON_ASCII_ALPN[fname]
                    alpn = [raw, b'http/1.1']
                    ja4 = ja4[:8] + chars + ja4[10:]
                    ja4_r = ja4_r[:8] + chars + ja4_r[10:]
                elif chars == '00':
                    alpn = []
                else:
                    alpn = [{'h1': b'http/1.1'}.get(chars, chars.encode())]
                cases.append(client_case('%s/%s' % (fname.split('.')[0], n), legacy, suites,
                                         exts, None, sigs, versions, None, sni, alpn,
                                         None, None, ja4, ja4_r))
    return cases


def main():
    clients, servers = generated_cases()
    j4 = ja4_cases()
    with open(OUT, 'w') as f:
        f.write('/* Generated by tests/unit/gen_fingerprint_cases.py from the corpus\n'
                ' * truth files; do not edit. Regenerate when the corpus changes. */\n')
        f.write('static const struct fp_client_case client_cases[] = {\n')
        f.write(''.join(clients + j4))
        f.write('};\n\nstatic const struct fp_server_case server_cases[] = {\n')
        f.write(''.join(servers))
        f.write('};\n')
    print('%d client cases (%d generated, %d ja4), %d server cases' %
          (len(clients) + len(j4), len(clients), len(j4), len(servers)), file=sys.stderr)


if __name__ == '__main__':
    main()
