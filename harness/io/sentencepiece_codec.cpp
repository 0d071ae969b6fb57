// SentencePiece BPE encoding and decoding, following the reference
// implementation's semantics (normalizer.cc, bpe_model.cc,
// sentencepiece_processor.cc): identity normalisation with a dummy "▁" prefix,
// greedy merging of the adjacent pair whose merge has the highest score
// (leftmost on ties), byte fallback for pieces outside the vocabulary.
#include <cstdio>
#include <queue>

#include "harness/io/sentencepiece_model.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::io {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581 "▁"
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";  // " ⁇ "

struct Symbol {
  size_t begin = 0, size = 0;  // bytes of the normalized text; size 0 = merged away
  int prev = -1, next = -1;
  bool frozen = false;         // user-defined pieces never merge further
};

struct Candidate {
  float score;
  int left, right;
  size_t size;
  bool operator<(const Candidate& o) const {  // max-heap: best score, then leftmost
    return score != o.score ? score < o.score : left > o.left;
  }
};

}  // namespace

std::string SentencePieceModel::normalize(std::string_view text) const {
  std::string spaced;
  // Invalid UTF-8 becomes U+FFFD, one per bad byte, as the reference normalizer does.
  while (!text.empty()) {
    size_t n = utf8_char_length(text);
    spaced.append(n ? text.substr(0, n) : kReplacement);
    text.remove_prefix(n ? n : 1);
  }
  if (spec_.remove_extra_whitespaces) {
    std::string collapsed;
    for (char c : spaced) {
      if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
      collapsed += c;
    }
    while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
    spaced = collapsed;
  }
  if (spaced.empty()) return {};
  const std::string_view space = spec_.escape_whitespaces ? kSpace : " ";
  std::string out = spec_.add_dummy_prefix ? std::string(space) : std::string();
  for (char c : spaced) {
    if (c == ' ') out.append(space);
    else out += c;
  }
  return out;
}

std::vector<int32_t> SentencePieceModel::encode(std::string_view text) const {
  const std::string s = normalize(text);
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < s.size();) {
    Symbol sym;
    sym.begin = pos;
    for (const std::string& u : user_defined_) {
      if (u.size() > sym.size && s.compare(pos, u.size(), u) == 0) {
        sym.size = u.size();
        sym.frozen = true;
      }
    }
    if (!sym.frozen) sym.size = std::max<size_t>(1, utf8_char_length(std::string_view(s).substr(pos)));
    sym.prev = static_cast<int>(symbols.size()) - 1;
    pos += sym.size;
    sym.next = pos < s.size() ? static_cast<int>(symbols.size()) + 1 : -1;
    symbols.push_back(sym);
  }

  std::priority_queue<Candidate> agenda;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen) return;
    const size_t size = symbols[left].size + symbols[right].size;
    auto it = vocab_.find(s.substr(symbols[left].begin, size));
    if (it == vocab_.end()) return;
    agenda.push({pieces_[it->second].score, left, right, size});
  };
  for (size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!agenda.empty()) {
    const Candidate top = agenda.top();
    agenda.pop();
    Symbol& l = symbols[top.left];
    Symbol& r = symbols[top.right];
    // Stale entry: one side was merged into something else meanwhile.
    if (l.size == 0 || r.size == 0 || l.size + r.size != top.size || l.next != top.right) continue;
    l.size += r.size;
    r.size = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = top.left;
    consider(l.prev, top.left);
    consider(top.left, l.next);
  }

  std::vector<int32_t> ids;
  bool previous_unknown = false;
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    std::string_view piece = std::string_view(s).substr(symbols[i].begin, symbols[i].size);
    auto it = vocab_.find(std::string(piece));
    if (it != vocab_.end() && pieces_[it->second].type != PieceType::Unused) {
      ids.push_back(it->second);
      previous_unknown = false;
    } else if (spec_.byte_fallback) {
      for (unsigned char b : piece) ids.push_back(byte_ids_[b]);
    } else if (!previous_unknown) {  // a run of unknown pieces becomes one <unk>
      ids.push_back(spec_.unk_id);
      previous_unknown = true;
    }
  }
  return ids;
}

std::string SentencePieceModel::decode(const std::vector<int32_t>& ids, bool at_start) const {
  std::string out, bytes;
  // at_start: the dummy-prefix space of the first piece is dropped
  auto flush_bytes = [&] {
    out += sanitize_utf8(bytes);
    bytes.clear();
  };
  for (int32_t id : ids) {
    if (id < 0 || id >= static_cast<int32_t>(pieces_.size())) {
      fail_input("decode", "token id {} is outside the vocabulary [0, {})", id, pieces_.size());
    }
    const Piece& p = pieces_[id];
    unsigned value = 0;
    if (p.type == PieceType::Byte && std::sscanf(p.text.c_str(), "<0x%2X>", &value) == 1) {
      bytes += static_cast<char>(value);
      at_start = false;
      continue;
    }
    flush_bytes();
    if (p.type == PieceType::Control) continue;
    if (p.type == PieceType::Unknown) {
      out += kUnknownSurface;
      at_start = false;
      continue;
    }
    std::string_view text = p.text;
    if (at_start && (spec_.add_dummy_prefix || spec_.remove_extra_whitespaces) &&
        text.substr(0, kSpace.size()) == kSpace) {
      text.remove_prefix(kSpace.size());
    }
    for (size_t pos = 0; pos < text.size();) {
      if (text.substr(pos, kSpace.size()) == kSpace) {
        out += ' ';
        pos += kSpace.size();
      } else {
        out += text[pos++];
      }
    }
    at_start = false;
  }
  flush_bytes();
  return out;
}

}  // namespace moebench::io
