#!/bin/sh
# Builds the test PKI for test_certcheck and test_policy in directory $1:
# a root CA (EC P-256), an RSA root for MD5/SHA-1 signatures, a rogue root,
# an intermediate, leaves with one defect each, a CRL revoking revoked.crt,
# and OCSP responses (good, revoked, rogue-signed, stale, delegated responder,
# CertID of another issuer) made by `openssl ocsp`.
set -e
cd "$1"
export SAN=DNS:none
cat > ca.cnf <<'CNF'
[ca]
default_ca = ca_default
[ca_default]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
policy = pol
copy_extensions = none
unique_subject = no
default_crl_days = 30
[pol]
commonName = supplied
[leaf]
basicConstraints = CA:false
subjectAltName = $ENV::SAN
[inter]
basicConstraints = critical,CA:true
keyUsage = keyCertSign,cRLSign
[ocspresp]
basicConstraints = CA:false
extendedKeyUsage = OCSPSigning
CNF
touch index.txt; echo 1000 > serial; echo 1000 > crlnumber
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${2:-P-256} -out $1.key; }
root() { openssl req -new -x509 -key $1.key -subj "/CN=$1" -days 7300 -sha256 -out $1.crt \
	-addext basicConstraints=critical,CA:true -addext keyUsage=keyCertSign,cRLSign; }
sign() {
	n=$1; san=$2; issuer=$3; shift 3
	openssl req -new -key $n.key -subj "/CN=$n" -out $n.csr
	SAN=$san openssl ca -batch -config ca.cnf -cert $issuer.crt -keyfile $issuer.key \
		-in $n.csr -out $n.crt -notext -startdate 20240101000000Z -enddate 20340101000000Z "$@"
}
ec root; root root
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsaroot.key; root rsaroot
ec rogue; root rogue
ec good; sign good DNS:good.test root -extensions leaf
ec p384 P-384; sign p384 DNS:good.test root -extensions leaf
ec expired; SAN=DNS:good.test openssl req -new -key expired.key -subj /CN=expired -out expired.csr
SAN=DNS:good.test openssl ca -batch -config ca.cnf -cert root.crt -keyfile root.key -in expired.csr \
	-out expired.crt -notext -startdate 20200101000000Z -enddate 20220101000000Z -extensions leaf
ec notyet; SAN=DNS:good.test openssl req -new -key notyet.key -subj /CN=notyet -out notyet.csr
SAN=DNS:good.test openssl ca -batch -config ca.cnf -cert root.crt -keyfile root.key -in notyet.csr \
	-out notyet.crt -notext -startdate 20400101000000Z -enddate 20500101000000Z -extensions leaf
ec self; openssl req -new -x509 -key self.key -subj /CN=self.test -days 3650 -out self.crt -addext subjectAltName=DNS:self.test
ec untrusted; sign untrusted DNS:good.test rogue -extensions leaf
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key
sign rsa1024 DNS:good.test root -extensions leaf
ec sha1; sign sha1 DNS:good.test rsaroot -extensions leaf -md sha1
ec md5; sign md5 DNS:good.test rsaroot -extensions leaf -md md5
ec other; sign other DNS:other.test root -extensions leaf
ec inter; sign inter DNS:inter root -extensions inter
ec deep; sign deep DNS:good.test inter -extensions leaf
ec revoked; sign revoked DNS:good.test root -extensions leaf
openssl ca -batch -config ca.cnf -cert root.crt -keyfile root.key -revoke revoked.crt
openssl ca -batch -config ca.cnf -cert root.crt -keyfile root.key -gencrl -out root.crl
openssl ocsp -issuer root.crt -cert revoked.crt -reqout rev.req -no_nonce
# OCSP responses: the directory is reused for years, so the good ones last 10.
openssl ocsp -index index.txt -rsigner root.crt -rkey root.key -CA root.crt -reqin rev.req -respout revoked.ocsp -ndays 3650
openssl ocsp -issuer root.crt -cert good.crt -reqout good.req -no_nonce
openssl ocsp -index index.txt -rsigner root.crt -rkey root.key -CA root.crt -reqin good.req -respout good.ocsp -ndays 3650
# Signed by a key the issuer never certified: must not verify.
openssl ocsp -index index.txt -rsigner rogue.crt -rkey rogue.key -CA root.crt -reqin good.req -respout rogue.ocsp -ndays 3650
# nextUpdate one minute after it was made: stale from then on.
openssl ocsp -index index.txt -rsigner root.crt -rkey root.key -CA root.crt -reqin good.req -respout stale.ocsp -nmin 1
# A responder the root delegated (extendedKeyUsage OCSPSigning, RFC 6960 4.2.2.2).
ec ocspresp; sign ocspresp DNS:ocsp.test root -extensions ocspresp
openssl ocsp -index index.txt -rsigner ocspresp.crt -rkey ocspresp.key -CA root.crt -reqin good.req -respout delegated.ocsp -ndays 3650
# A CertID with good.crt's serial but another issuer's hashes: about some other certificate.
openssl ocsp -issuer rogue.crt -cert good.crt -reqout otherid.req -no_nonce
openssl ocsp -index index.txt -rsigner root.crt -rkey root.key -CA root.crt -reqin otherid.req -respout otherid.ocsp -ndays 3650
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsagood.key
sign rsagood DNS:good.test rsaroot -extensions leaf
# A CRL whose nextUpdate is one second after it was made: stale from then on.
openssl ca -batch -config ca.cnf -cert rsaroot.crt -keyfile rsaroot.key -gencrl -crlsec 1 -out stale.crl
touch done
