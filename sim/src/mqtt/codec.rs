//! MQTT 3.1.1 packet encoding and decoding (the subset the broker and the gateway need).
//!
//! Written here rather than borrowed from the client's MQTT crate on purpose: the simulator is an
//! independent implementation of the server side, so a framing mistake on either side shows up
//! as a failure instead of cancelling out.

use thiserror::Error;

/// Packet type numbers (high nibble of the first byte).
const CONNECT: u8 = 1;
const CONNACK: u8 = 2;
const PUBLISH: u8 = 3;
const PUBACK: u8 = 4;
const PUBREC: u8 = 5;
const PUBREL: u8 = 6;
const PUBCOMP: u8 = 7;
const SUBSCRIBE: u8 = 8;
const SUBACK: u8 = 9;
const UNSUBSCRIBE: u8 = 10;
const UNSUBACK: u8 = 11;
const PINGREQ: u8 = 12;
const PINGRESP: u8 = 13;
const DISCONNECT: u8 = 14;

/// CONNACK return code: connection accepted.
pub(crate) const CONNACK_ACCEPTED: u8 = 0;
/// CONNACK return code: unacceptable protocol version.
pub(crate) const CONNACK_BAD_PROTOCOL: u8 = 1;
/// CONNACK return code: identifier rejected.
pub(crate) const CONNACK_ID_REJECTED: u8 = 2;
/// CONNACK return code: not authorized.
pub(crate) const CONNACK_NOT_AUTHORIZED: u8 = 5;
/// SUBACK return code for a refused filter.
pub(crate) const SUBACK_FAILURE: u8 = 0x80;

/// A decoded CONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Connect {
    pub protocol_name: String,
    pub protocol_level: u8,
    pub clean_session: bool,
    pub keep_alive_secs: u16,
    pub client_id: String,
    pub username: Option<String>,
}

/// A PUBLISH packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Publish {
    pub dup: bool,
    pub qos: u8,
    pub retain: bool,
    pub topic: String,
    pub packet_id: Option<u16>,
    pub payload: Vec<u8>,
}

/// Every packet the simulator reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Packet {
    Connect(Connect),
    ConnAck {
        session_present: bool,
        code: u8,
    },
    Publish(Publish),
    PubAck(u16),
    Subscribe {
        packet_id: u16,
        filters: Vec<(String, u8)>,
    },
    SubAck {
        packet_id: u16,
        codes: Vec<u8>,
    },
    Unsubscribe {
        packet_id: u16,
        filters: Vec<String>,
    },
    UnsubAck(u16),
    PingReq,
    PingResp,
    Disconnect,
}

/// Why bytes could not be decoded into a packet.
#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum CodecError {
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
    #[error("packet of {0} bytes exceeds the maximum size")]
    TooLarge(usize),
    #[error("unsupported packet type {0} (QoS 2 is not supported)")]
    Unsupported(u8),
}

/// Decodes one packet from the front of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, otherwise the packet and how many bytes it used.
pub(crate) fn decode(buf: &[u8], max_packet: usize) -> Result<Option<(Packet, usize)>, CodecError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let Some((remaining, len_bytes)) = decode_remaining_length(&buf[1..])? else {
        return Ok(None);
    };
    let total = 1 + len_bytes + remaining;
    if total > max_packet {
        return Err(CodecError::TooLarge(total));
    }
    if buf.len() < total {
        return Ok(None);
    }
    let body = &buf[1 + len_bytes..total];
    let packet = decode_body(first >> 4, first & 0x0f, body)?;
    Ok(Some((packet, total)))
}

/// Reads the variable-length "remaining length" field: `(value, bytes used)`.
fn decode_remaining_length(buf: &[u8]) -> Result<Option<(usize, usize)>, CodecError> {
    let mut value = 0usize;
    for (i, byte) in buf.iter().enumerate() {
        if i >= 4 {
            return Err(CodecError::Malformed(
                "remaining length longer than 4 bytes",
            ));
        }
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        return Err(CodecError::Malformed(
            "remaining length longer than 4 bytes",
        ));
    }
    Ok(None)
}

/// A cursor over a packet body that never reads past its end.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(CodecError::Malformed("truncated packet"))?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }

    fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let len = usize::from(self.u16()?);
        let end = self.pos + len;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or(CodecError::Malformed("truncated field"))?;
        self.pos = end;
        Ok(slice)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let raw = self.bytes()?;
        String::from_utf8(raw.to_vec()).map_err(|_| CodecError::Malformed("string is not UTF-8"))
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = &self.buf[self.pos..];
        self.pos = self.buf.len();
        rest
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

fn decode_body(kind: u8, flags: u8, body: &[u8]) -> Result<Packet, CodecError> {
    let mut r = Reader::new(body);
    let packet = match kind {
        CONNECT => Packet::Connect(decode_connect(&mut r)?),
        CONNACK => {
            let ack_flags = r.u8()?;
            Packet::ConnAck {
                session_present: ack_flags & 1 == 1,
                code: r.u8()?,
            }
        }
        PUBLISH => {
            let qos = (flags >> 1) & 0b11;
            if qos == 3 {
                return Err(CodecError::Malformed("QoS 3"));
            }
            let topic = r.string()?;
            let packet_id = if qos > 0 { Some(r.u16()?) } else { None };
            Packet::Publish(Publish {
                dup: flags & 0b1000 != 0,
                qos,
                retain: flags & 1 == 1,
                topic,
                packet_id,
                payload: r.rest().to_vec(),
            })
        }
        PUBACK => Packet::PubAck(r.u16()?),
        PUBREC | PUBREL | PUBCOMP => return Err(CodecError::Unsupported(kind)),
        SUBSCRIBE => {
            if flags != 0b0010 {
                return Err(CodecError::Malformed("SUBSCRIBE flags must be 0010"));
            }
            let packet_id = r.u16()?;
            let mut filters = Vec::new();
            while !r.is_empty() {
                let filter = r.string()?;
                let qos = r.u8()?;
                filters.push((filter, qos));
            }
            if filters.is_empty() {
                return Err(CodecError::Malformed("SUBSCRIBE without filters"));
            }
            Packet::Subscribe { packet_id, filters }
        }
        SUBACK => {
            let packet_id = r.u16()?;
            Packet::SubAck {
                packet_id,
                codes: r.rest().to_vec(),
            }
        }
        UNSUBSCRIBE => {
            if flags != 0b0010 {
                return Err(CodecError::Malformed("UNSUBSCRIBE flags must be 0010"));
            }
            let packet_id = r.u16()?;
            let mut filters = Vec::new();
            while !r.is_empty() {
                filters.push(r.string()?);
            }
            if filters.is_empty() {
                return Err(CodecError::Malformed("UNSUBSCRIBE without filters"));
            }
            Packet::Unsubscribe { packet_id, filters }
        }
        UNSUBACK => Packet::UnsubAck(r.u16()?),
        PINGREQ => Packet::PingReq,
        PINGRESP => Packet::PingResp,
        DISCONNECT => Packet::Disconnect,
        _ => return Err(CodecError::Malformed("reserved packet type")),
    };
    Ok(packet)
}

fn decode_connect(r: &mut Reader<'_>) -> Result<Connect, CodecError> {
    let protocol_name = r.string()?;
    let protocol_level = r.u8()?;
    let flags = r.u8()?;
    if flags & 1 != 0 {
        return Err(CodecError::Malformed("CONNECT reserved flag set"));
    }
    let keep_alive_secs = r.u16()?;
    let client_id = r.string()?;
    if flags & 0b100 != 0 {
        // Will topic and message: read and discard (AWS-style sessions here have no will).
        r.string()?;
        r.bytes()?;
    }
    let username = if flags & 0b1000_0000 != 0 {
        Some(r.string()?)
    } else {
        None
    };
    if flags & 0b0100_0000 != 0 {
        r.bytes()?;
    }
    Ok(Connect {
        protocol_name,
        protocol_level,
        clean_session: flags & 0b10 != 0,
        keep_alive_secs,
        client_id,
        username,
    })
}

/// Appends the encoding of `packet` to `out`.
pub(crate) fn encode(packet: &Packet, out: &mut Vec<u8>) {
    let mut body = Vec::new();
    let first = match packet {
        Packet::Connect(c) => {
            put_str(&mut body, &c.protocol_name);
            body.push(c.protocol_level);
            let mut flags = 0u8;
            if c.clean_session {
                flags |= 0b10;
            }
            if c.username.is_some() {
                flags |= 0b1000_0000;
            }
            body.push(flags);
            body.extend_from_slice(&c.keep_alive_secs.to_be_bytes());
            put_str(&mut body, &c.client_id);
            if let Some(user) = &c.username {
                put_str(&mut body, user);
            }
            CONNECT << 4
        }
        Packet::ConnAck {
            session_present,
            code,
        } => {
            body.push(u8::from(*session_present));
            body.push(*code);
            CONNACK << 4
        }
        Packet::Publish(p) => {
            put_str(&mut body, &p.topic);
            if let Some(id) = p.packet_id {
                body.extend_from_slice(&id.to_be_bytes());
            }
            body.extend_from_slice(&p.payload);
            PUBLISH << 4 | u8::from(p.dup) << 3 | (p.qos & 0b11) << 1 | u8::from(p.retain)
        }
        Packet::PubAck(id) => {
            body.extend_from_slice(&id.to_be_bytes());
            PUBACK << 4
        }
        Packet::Subscribe { packet_id, filters } => {
            body.extend_from_slice(&packet_id.to_be_bytes());
            for (filter, qos) in filters {
                put_str(&mut body, filter);
                body.push(*qos);
            }
            SUBSCRIBE << 4 | 0b0010
        }
        Packet::SubAck { packet_id, codes } => {
            body.extend_from_slice(&packet_id.to_be_bytes());
            body.extend_from_slice(codes);
            SUBACK << 4
        }
        Packet::Unsubscribe { packet_id, filters } => {
            body.extend_from_slice(&packet_id.to_be_bytes());
            for filter in filters {
                put_str(&mut body, filter);
            }
            UNSUBSCRIBE << 4 | 0b0010
        }
        Packet::UnsubAck(id) => {
            body.extend_from_slice(&id.to_be_bytes());
            UNSUBACK << 4
        }
        Packet::PingReq => PINGREQ << 4,
        Packet::PingResp => PINGRESP << 4,
        Packet::Disconnect => DISCONNECT << 4,
    };
    out.push(first);
    put_remaining_length(out, body.len());
    out.extend_from_slice(&body);
}

/// Convenience: the encoding of one packet as a new buffer.
pub(crate) fn to_bytes(packet: &Packet) -> Vec<u8> {
    let mut out = Vec::new();
    encode(packet, &mut out);
    out
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Strings longer than 65535 bytes cannot be represented; truncating keeps framing intact and
    // never happens with the topics and ids used here.
    let bytes = &s.as_bytes()[..s.len().min(usize::from(u16::MAX))];
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_remaining_length(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 128 * 1024;

    fn roundtrip(p: Packet) {
        let bytes = to_bytes(&p);
        let (decoded, used) = decode(&bytes, MAX).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(decoded, p);
    }

    #[test]
    fn every_packet_roundtrips() {
        roundtrip(Packet::Connect(Connect {
            protocol_name: "MQTT".into(),
            protocol_level: 4,
            clean_session: true,
            keep_alive_secs: 1200,
            client_id: "navien-client-0a1b2c3d".into(),
            username: Some("?SDK=Rust".into()),
        }));
        roundtrip(Packet::ConnAck {
            session_present: false,
            code: 0,
        });
        roundtrip(Packet::Publish(Publish {
            dup: false,
            qos: 1,
            retain: false,
            topic: "cmd/52/navilink-aabbccddeeff/st".into(),
            packet_id: Some(7),
            payload: vec![b'{'; 300],
        }));
        roundtrip(Packet::Publish(Publish {
            dup: false,
            qos: 0,
            retain: true,
            topic: "a/b".into(),
            packet_id: None,
            payload: vec![],
        }));
        roundtrip(Packet::PubAck(9));
        roundtrip(Packet::Subscribe {
            packet_id: 3,
            filters: vec![("a/#".into(), 1), ("b/+/c".into(), 0)],
        });
        roundtrip(Packet::SubAck {
            packet_id: 3,
            codes: vec![1, 0x80],
        });
        roundtrip(Packet::Unsubscribe {
            packet_id: 4,
            filters: vec!["a/#".into()],
        });
        roundtrip(Packet::UnsubAck(4));
        roundtrip(Packet::PingReq);
        roundtrip(Packet::PingResp);
        roundtrip(Packet::Disconnect);
    }

    #[test]
    fn decodes_a_hand_written_connect() {
        // CONNECT, MQTT level 4, clean session, keep-alive 60, client id "ab".
        let bytes = [
            0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 4, 0b10, 0, 60, 0, 2, b'a', b'b',
        ];
        let (p, used) = decode(&bytes, MAX).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        let Packet::Connect(c) = p else {
            panic!("not a connect")
        };
        assert_eq!(c.client_id, "ab");
        assert_eq!(c.keep_alive_secs, 60);
        assert!(c.clean_session);
    }

    #[test]
    fn partial_input_asks_for_more() {
        let bytes = to_bytes(&Packet::Publish(Publish {
            dup: false,
            qos: 1,
            retain: false,
            topic: "t".into(),
            packet_id: Some(1),
            payload: vec![1; 200],
        }));
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], MAX), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        assert!(decode(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], MAX).is_err());
        assert!(decode(&[0x82, 2, 0, 1], MAX).is_err());
        assert!(decode(&[0x80, 2, 0, 1], MAX).is_err());
        assert_eq!(
            decode(&[0x62, 2, 0, 1], MAX),
            Err(CodecError::Unsupported(6))
        );
        assert!(decode(&[0x30, 0x80, 0x80, 0x01], 100).is_err());
        // Topic length claims more bytes than the packet holds.
        assert!(decode(&[0x30, 3, 0, 9, b'a'], MAX).is_err());
    }

    #[test]
    fn remaining_length_uses_several_bytes_when_needed() {
        let mut out = Vec::new();
        put_remaining_length(&mut out, 321);
        assert_eq!(out, vec![0xc1, 0x02]);
        assert_eq!(decode_remaining_length(&out), Ok(Some((321, 2))));
    }
}
