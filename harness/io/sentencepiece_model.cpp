// Reading and writing the ModelProto wire format (sentencepiece_model.proto:
// ModelProto{pieces=1, trainer_spec=2, normalizer_spec=3}).
#include "harness/io/sentencepiece_model.h"

#include <cctype>
#include <cstring>

#include "harness/util/error.h"

namespace moebench::io {
namespace {

enum WireType { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

// A bounds-checked protobuf reader: malformed input is an InputError, never a crash.
class WireReader {
 public:
  WireReader(std::string_view data, const std::string& where) : data_(data), where_(where) {}
  bool done() const { return pos_ >= data_.size(); }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) fail_input(where_, "not a SentencePiece model (truncated varint at byte {})", pos_);
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return value;
    }
    fail_input(where_, "not a SentencePiece model (varint too long at byte {})", pos_);
  }
  std::string_view bytes() {
    const uint64_t n = varint();
    if (n > data_.size() - pos_) {
      fail_input(where_, "not a SentencePiece model (field of {} bytes at byte {} runs past the end)",
                 n, pos_);
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  float fixed32() {
    if (data_.size() - pos_ < 4) fail_input(where_, "not a SentencePiece model (truncated float)");
    float f;
    std::memcpy(&f, data_.data() + pos_, 4);
    pos_ += 4;
    return f;
  }
  void skip(int wire_type) {
    switch (wire_type) {
      case kVarint: varint(); break;
      case kLength: bytes(); break;
      case kFixed32: fixed32(); break;
      case kFixed64: fixed32(); fixed32(); break;
      default: fail_input(where_, "not a SentencePiece model (wire type {} at byte {})", wire_type, pos_);
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  const std::string& where_;
};

void put_varint(std::string* out, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    out->push_back(static_cast<char>(v ? byte | 0x80 : byte));
  } while (v);
}
void put_tag(std::string* out, int field, WireType type) { put_varint(out, (field << 3) | type); }
void put_int(std::string* out, int field, int64_t v) {
  put_tag(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(v));  // negative int32 → 10-byte varint, as protobuf does
}
void put_bytes(std::string* out, int field, std::string_view v) {
  put_tag(out, field, kLength);
  put_varint(out, v.size());
  out->append(v);
}

SentencePieceModel::Piece parse_piece(std::string_view bytes, const std::string& where) {
  SentencePieceModel::Piece piece;
  WireReader r(bytes, where);
  while (!r.done()) {
    const uint64_t tag = r.varint();
    const int field = static_cast<int>(tag >> 3), type = static_cast<int>(tag & 7);
    if (field == 1 && type == kLength) piece.text = std::string(r.bytes());
    else if (field == 2 && type == kFixed32) piece.score = r.fixed32();
    else if (field == 3 && type == kVarint) {
      const uint64_t t = r.varint();
      if (t < 1 || t > 6) fail_input(where, "piece '{}' has unknown type {}", piece.text, t);
      piece.type = static_cast<SentencePieceModel::PieceType>(t);
    } else r.skip(type);
  }
  return piece;
}

}  // namespace

SentencePieceModel SentencePieceModel::parse(std::string_view bytes, const std::string& where) {
  std::vector<Piece> pieces;
  Spec spec;
  spec.model_type = 1;  // proto defaults: UNIGRAM, remove_extra_whitespaces true
  WireReader r(bytes, where);
  while (!r.done()) {
    const uint64_t tag = r.varint();
    const int field = static_cast<int>(tag >> 3), type = static_cast<int>(tag & 7);
    if (type != kLength) {
      r.skip(type);
      continue;
    }
    std::string_view body = r.bytes();
    if (field == 1) {
      pieces.push_back(parse_piece(body, where));
    } else if (field == 2 || field == 3) {
      WireReader sub(body, where);
      while (!sub.done()) {
        const uint64_t t = sub.varint();
        const int f = static_cast<int>(t >> 3), wt = static_cast<int>(t & 7);
        if (wt == kLength) {
          std::string_view v = sub.bytes();
          if (field == 3 && f == 1) spec.normalizer_name = std::string(v);
          if (field == 3 && f == 2 && !v.empty()) {
            fail_input(where, "normalizer_spec.precompiled_charsmap: models with precompiled "
                              "normalisation rules ('{}') are not supported", spec.normalizer_name);
          }
          continue;
        }
        if (wt != kVarint) {
          sub.skip(wt);
          continue;
        }
        const uint64_t v = sub.varint();
        const int32_t i = static_cast<int32_t>(static_cast<int64_t>(v));
        if (field == 2) {
          if (f == 3) spec.model_type = i;
          if (f == 35) spec.byte_fallback = v != 0;
          if (f == 40) spec.unk_id = i;
          if (f == 41) spec.bos_id = i;
          if (f == 42) spec.eos_id = i;
          if (f == 43) spec.pad_id = i;
          if (f == 24 && v) fail_input(where, "trainer_spec.treat_whitespace_as_suffix is not supported");
        } else {
          if (f == 3) spec.add_dummy_prefix = v != 0;
          if (f == 4) spec.remove_extra_whitespaces = v != 0;
          if (f == 5) spec.escape_whitespaces = v != 0;
        }
      }
    }
  }
  if (pieces.empty()) fail_input(where, "not a SentencePiece model (no pieces)");
  if (spec.model_type != 2) {
    fail_input(where, "trainer_spec.model_type: only BPE models (2, as Llama and Mistral) are "
                      "supported, got {}", spec.model_type);
  }
  return SentencePieceModel(std::move(pieces), spec);
}

SentencePieceModel::SentencePieceModel(std::vector<Piece> pieces, Spec spec)
    : pieces_(std::move(pieces)), spec_(std::move(spec)) {
  const std::string where = "SentencePiece model";
  const auto n = static_cast<int32_t>(pieces_.size());
  for (int32_t id : {spec_.unk_id, spec_.bos_id, spec_.eos_id, spec_.pad_id}) {
    if (id >= n) fail_input(where, "special id {} is outside the {} pieces", id, n);
  }
  if (spec_.unk_id < 0 || pieces_[spec_.unk_id].type != PieceType::Unknown) {
    fail_input(where, "unk_id {} does not name an unknown piece", spec_.unk_id);
  }
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  for (int32_t id = 0; id < n; ++id) {
    const Piece& p = pieces_[id];
    if (p.type == PieceType::Normal || p.type == PieceType::UserDefined ||
        p.type == PieceType::Unused) {
      vocab_.emplace(p.text, id);
    }
    if (p.type == PieceType::UserDefined) user_defined_.push_back(p.text);
    unsigned value = 0;
    // Two hex digits checked first: %2X alone also reads a sign or a space
    // ("<0x-6>" gives 4294967290, an index far outside byte_ids_).
    if (p.type == PieceType::Byte && p.text.size() == 6 &&
        std::isxdigit(static_cast<unsigned char>(p.text[3])) &&
        std::isxdigit(static_cast<unsigned char>(p.text[4])) &&
        std::sscanf(p.text.c_str(), "<0x%2X>", &value) == 1) {
      byte_ids_[value] = id;
    }
  }
  if (spec_.byte_fallback) {
    for (int b = 0; b < 256; ++b) {
      if (byte_ids_[b] < 0) fail_input(where, "byte_fallback is on but piece <0x{:02X}> is missing", b);
    }
  }
}

std::string SentencePieceModel::serialize() const {
  std::string out;
  for (const Piece& p : pieces_) {
    std::string body;
    put_bytes(&body, 1, p.text);
    put_tag(&body, 2, kFixed32);
    char score[4];
    std::memcpy(score, &p.score, 4);
    body.append(score, 4);
    put_int(&body, 3, static_cast<int>(p.type));
    put_bytes(&out, 1, body);
  }
  std::string trainer;
  put_int(&trainer, 3, spec_.model_type);
  put_int(&trainer, 4, static_cast<int64_t>(pieces_.size()));
  put_int(&trainer, 35, spec_.byte_fallback);
  put_int(&trainer, 40, spec_.unk_id);
  put_int(&trainer, 41, spec_.bos_id);
  put_int(&trainer, 42, spec_.eos_id);
  put_int(&trainer, 43, spec_.pad_id);
  put_bytes(&out, 2, trainer);
  std::string normalizer;
  put_bytes(&normalizer, 1, spec_.normalizer_name);
  put_int(&normalizer, 3, spec_.add_dummy_prefix);
  put_int(&normalizer, 4, spec_.remove_extra_whitespaces);
  put_int(&normalizer, 5, spec_.escape_whitespaces);
  put_bytes(&out, 3, normalizer);
  return out;
}

int32_t SentencePieceModel::piece_to_id(std::string_view piece) const {
  auto it = vocab_.find(std::string(piece));
  if (it != vocab_.end()) return it->second;
  for (int32_t id = 0; id < static_cast<int32_t>(pieces_.size()); ++id) {
    if (pieces_[id].text == piece) return id;  // control / byte / unknown pieces
  }
  return -1;
}

}  // namespace moebench::io
