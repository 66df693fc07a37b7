/* SM3 (GB/T 32905-2016), the hub's own small implementation for JDP commitments made in the browser
   (WebCrypto has SHA-256 but no SM3). Checked against the standard's vectors and Python's
   hashlib.new("sm3") by tests/web/test_sm3_js.py. No dependencies; works in browsers and in node. */
(function (root) {
  "use strict";
  var IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

  function rotl(x, n) {
    n %= 32;
    return n === 0 ? x >>> 0 : ((x << n) | (x >>> (32 - n))) >>> 0;
  }
  function p0(x) { return (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0; }
  function p1(x) { return (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0; }

  function compress(v, block, offset) {
    var w = new Array(68), w1 = new Array(64), j;
    for (j = 0; j < 16; j++) {
      var i = offset + 4 * j;
      w[j] = ((block[i] << 24) | (block[i + 1] << 16) | (block[i + 2] << 8) | block[i + 3]) >>> 0;
    }
    for (j = 16; j < 68; j++) {
      w[j] = (p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6]) >>> 0;
    }
    for (j = 0; j < 64; j++) w1[j] = (w[j] ^ w[j + 4]) >>> 0;
    var a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
    for (j = 0; j < 64; j++) {
      var t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
      var ss1 = rotl((rotl(a, 12) + e + rotl(t, j)) >>> 0, 7);
      var ss2 = (ss1 ^ rotl(a, 12)) >>> 0;
      var ff = j < 16 ? (a ^ b ^ c) : ((a & b) | (a & c) | (b & c));
      var gg = j < 16 ? (e ^ f ^ g) : ((e & f) | (~e & g));
      var tt1 = ((ff >>> 0) + d + ss2 + w1[j]) >>> 0;
      var tt2 = ((gg >>> 0) + h + ss1 + w[j]) >>> 0;
      d = c; c = rotl(b, 9); b = a; a = tt1;
      h = g; g = rotl(f, 19); f = e; e = p0(tt2);
    }
    return [a ^ v[0], b ^ v[1], c ^ v[2], d ^ v[3], e ^ v[4], f ^ v[5], g ^ v[6], h ^ v[7]].map(function (x) {
      return x >>> 0;
    });
  }

  /** SM3 of a Uint8Array: a Uint8Array of 32 bytes. */
  function digest(bytes) {
    var n = bytes.length, padded = Math.ceil((n + 9) / 64) * 64;
    var m = new Uint8Array(padded);
    m.set(bytes);
    m[n] = 0x80;
    var bits = n * 8, hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
    m[padded - 8] = (hi >>> 24) & 255; m[padded - 7] = (hi >>> 16) & 255;
    m[padded - 6] = (hi >>> 8) & 255; m[padded - 5] = hi & 255;
    m[padded - 4] = (lo >>> 24) & 255; m[padded - 3] = (lo >>> 16) & 255;
    m[padded - 2] = (lo >>> 8) & 255; m[padded - 1] = lo & 255;
    var v = IV.slice();
    for (var off = 0; off < padded; off += 64) v = compress(v, m, off);
    var out = new Uint8Array(32);
    for (var k = 0; k < 8; k++) {
      out[4 * k] = v[k] >>> 24; out[4 * k + 1] = (v[k] >>> 16) & 255;
      out[4 * k + 2] = (v[k] >>> 8) & 255; out[4 * k + 3] = v[k] & 255;
    }
    return out;
  }

  function hex(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return s;
  }

  var api = { digest: digest, hex: function (bytes) { return hex(digest(bytes)); }, toHex: hex };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.HubSM3 = api;
})(typeof self !== "undefined" ? self : this);
