import { describe, expect, it } from 'vitest';
import { VIEWER_ADDRESS_HEADER, clientAddress, parseViewerAddress } from '#core/client-address';
import { ORIGIN_VERIFY_HEADER } from '#core/edge-origin';

describe('parseViewerAddress (CloudFront-Viewer-Address: ip:port)', () => {
  it.each([
    ['198.51.100.10:46532', '198.51.100.10'],
    ['[::1]:443', '::1'],
    ['[2001:DB8::1]:443', '2001:db8::1'],
    ['2001:db8::1:46532', '2001:db8::1'],
    ['[::ffff:198.51.100.10]:443', '198.51.100.10'],
    ['::ffff:127.0.0.1:5000', '127.0.0.1'],
    ['203.0.113.1:65535', '203.0.113.1'],
  ])('reads %s as %s', (value, address) => {
    // Act + Assess
    expect(parseViewerAddress(value)).toBe(address);
  });

  it.each([
    '198.51.100.10',
    '198.51.100.10:',
    '198.51.100.10:65536',
    '198.51.100.300:443',
    '[::1]',
    '[::1]443',
    '[not-an-ip]:443',
    'example.com:443',
    '1.2.3.4, 5.6.7.8:443',
    '',
  ])('refuses %j', (value) => {
    // Act + Assess
    expect(parseViewerAddress(value)).toBeUndefined();
  });
});

describe('clientAddress', () => {
  const secret = 'origin-secret';
  const viaCdn = { [ORIGIN_VERIFY_HEADER]: secret, [VIEWER_ADDRESS_HEADER]: '198.51.100.10:46532' };

  it("uses the viewer's address only on a request carrying the origin secret", () => {
    // Act
    const proven = clientAddress({ headers: viaCdn, sourceIp: '130.176.0.1' }, secret);
    const wrongSecret = clientAddress(
      { headers: { ...viaCdn, [ORIGIN_VERIFY_HEADER]: 'guess' }, sourceIp: '130.176.0.1' },
      secret,
    );
    const noProof = clientAddress(
      { headers: { [VIEWER_ADDRESS_HEADER]: '198.51.100.10:46532' }, sourceIp: '130.176.0.1' },
      secret,
    );

    // Assess
    expect(proven).toBe('198.51.100.10');
    expect(wrongSecret).toBe('130.176.0.1');
    expect(noProof).toBe('130.176.0.1');
  });

  it('never trusts the header without a configured secret, nor X-Forwarded-For ever', () => {
    // Act
    const unconfigured = clientAddress({ headers: viaCdn, sourceIp: '192.0.2.7' }, undefined);
    const empty = clientAddress({ headers: viaCdn, sourceIp: '192.0.2.7' }, '');
    const forwarded = clientAddress(
      {
        headers: { [ORIGIN_VERIFY_HEADER]: secret, 'x-forwarded-for': '198.51.100.10' },
        sourceIp: '192.0.2.7',
      },
      secret,
    );

    // Assess
    expect([unconfigured, empty, forwarded]).toEqual(['192.0.2.7', '192.0.2.7', '192.0.2.7']);
  });

  it("falls back to the connection's address when the proven header is malformed, in one spelling", () => {
    // Act
    const malformed = clientAddress(
      { headers: { ...viaCdn, [VIEWER_ADDRESS_HEADER]: 'nonsense' }, sourceIp: '::FFFF:192.0.2.7' },
      secret,
    );

    // Assess
    expect(malformed).toBe('192.0.2.7');
  });
});
