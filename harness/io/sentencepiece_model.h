// A SentencePiece BPE model (tokenizer.model of the Llama and Mistral families),
// read, encoded and decoded without libsentencepiece.
//
// Why our own: Debian's libsentencepiece embeds protobuf-lite 3.14 with exported
// symbols, which clash with the protobuf 3.21 that libtorch loads into the same
// process (the first one to initialise crashes or aborts). The BPE algorithm is
// small, and the tests check it against libsentencepiece itself on many texts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moebench::io {

class SentencePieceModel {
 public:
  // ModelProto.SentencePiece.Type
  enum class PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };
  struct Piece {
    std::string text;
    float score = 0;
    PieceType type = PieceType::Normal;
  };
  // Everything of ModelProto that encoding and decoding depend on.
  struct Spec {
    int model_type = 2;  // TrainerSpec.ModelType: 1 unigram, 2 BPE
    int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
    bool byte_fallback = false;
    std::string normalizer_name = "identity";
    bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
  };

  // Parses serialized ModelProto bytes; `where` names the file in errors.
  // Refuses what we cannot reproduce exactly (unigram models, precompiled
  // normalisation rules, whitespace-as-suffix) with an InputError.
  static SentencePieceModel parse(std::string_view bytes, const std::string& where);
  SentencePieceModel(std::vector<Piece> pieces, Spec spec);

  // Serialized ModelProto (for models we train ourselves).
  std::string serialize() const;

  // Ids of `text`, without BOS/EOS.
  std::vector<int32_t> encode(std::string_view text) const;
  // Text of `ids` (control pieces dropped; ids must be in range). With
  // at_start false the text continues earlier output: the first piece keeps
  // its leading space.
  std::string decode(const std::vector<int32_t>& ids, bool at_start = true) const;

  int32_t piece_to_id(std::string_view piece) const;  // -1 when absent
  const std::vector<Piece>& pieces() const { return pieces_; }
  const Spec& spec() const { return spec_; }

 private:
  std::string normalize(std::string_view text) const;
  void append_piece_ids(std::string_view piece, std::vector<int32_t>* ids) const;

  std::vector<Piece> pieces_;
  Spec spec_;
  // Normal, user-defined and unused pieces: the ones text can be segmented into.
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> user_defined_;  // matched greedily before BPE
  int32_t byte_ids_[256];
};

}  // namespace moebench::io
