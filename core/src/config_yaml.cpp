// SPDX-License-Identifier: MIT
// YAML to ConfigNode from the parser's events rather than YAML::Load. Load shares one node between
// an anchor and its aliases, so loading is cheap, but walking the result copies that node once
// per alias: nine lines of nested aliases (a "billion laughs" file of 300 bytes) become 9^9
// scalars and tens of GB. Built from events, each alias is charged to the TreeBudget before it is
// copied, and nothing recurses with the input: open mappings and lists are an explicit stack.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "config_tree.hpp"
#include "resync/error.hpp"

namespace resync::detail {
namespace {

using Node = ConfigNode;

int line_of(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }

class TreeHandler final : public YAML::EventHandler {
 public:
  explicit TreeHandler(const ConfigReader& reader) : reader_(reader), budget_(reader) {}

  Node take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    n.line = line_of(mark);
    budget_.charge(1, 0, n.line, next_path_fn());
    add(std::move(n), anchor, 1, 0);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const int line = line_of(mark);
    const auto it = anchors_.find(anchor);
    // yaml-cpp refuses undefined anchors itself; one still open is an alias inside its own node.
    if (it == anchors_.end()) reader_.fail(line, next_path(), "alias to a node that contains it");
    budget_.charge(it->second.nodes, it->second.bytes, line, next_path_fn());
    Node copy = it->second.node;
    copy.line = line;
    add(std::move(copy), 0, it->second.nodes, it->second.bytes);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n;
    n.line = line_of(mark);
    n.kind = Node::Kind::kScalar;
    n.type = Node::Type::kString;
    const PathFn path = next_path_fn();
    budget_.check_scalar(value.size(), n.line, path);
    if (expecting_key()) {
      n.scalar = value;  // keys are names, never ${ENV}
    } else {
      n.scalar = substitute_env(value, reader_, n.line, path);
      if (tag == "?") n.type = plain_scalar_type(n.scalar);  // "?" = plain (unquoted) scalar
    }
    const size_t bytes = n.scalar.size();
    budget_.charge(1, bytes, n.line, path);
    add(std::move(n), anchor, 1, bytes);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::Kind::kSequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::Kind::kMap, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    Node node;
    YAML::anchor_t anchor = 0;
    size_t nodes = 1;  // of the subtree so far, itself included
    size_t bytes = 0;
    bool has_key = false;  // a map's key is read, its value not yet
    std::string key;
    std::unordered_set<std::string> keys;  // finds a duplicate without a quadratic scan
  };
  struct Anchored {
    Node node;
    size_t nodes = 0;
    size_t bytes = 0;
  };

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().node.kind == Node::Kind::kMap && !stack_.back().has_key;
  }

  static void append_child(std::string& path, const Frame& parent) {
    if (parent.node.kind == Node::Kind::kSequence) {
      path += "[" + std::to_string(parent.node.seq.size()) + "]";
    } else if (parent.has_key) {
      path += (path.empty() ? "" : ".") + parent.key;
    }
  }

  // Path of the value the next event builds (a key is placed at its map's path).
  std::string next_path() const {
    std::string path;
    for (const Frame& f : stack_) append_child(path, f);
    return path;
  }
  PathFn next_path_fn() const {
    return [this] { return next_path(); };
  }

  void open(Node::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    const int line = line_of(mark);
    if (expecting_key())
      reader_.fail(line, next_path(), "a key must be a single value, not a mapping or list");
    budget_.enter(stack_.size() + 1, line, next_path_fn());
    budget_.charge(1, 0, line, next_path_fn());
    Frame f;
    f.node.kind = kind;
    f.node.line = line;
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(f.node), f.anchor, f.nodes, f.bytes);
  }

  // Places a finished node in its parent (or as the root), keeping a copy for aliases.
  void add(Node n, YAML::anchor_t anchor, size_t nodes, size_t bytes) {
    if (anchor != 0) {
      budget_.charge(nodes, bytes, n.line, next_path_fn());  // the copy costs as much again
      anchors_[anchor] = Anchored{n, nodes, bytes};
    }
    if (stack_.empty()) {
      root_ = std::move(n);
      return;
    }
    Frame& parent = stack_.back();
    parent.nodes += nodes;
    parent.bytes += bytes;
    if (parent.node.kind == Node::Kind::kSequence) {
      parent.node.seq.push_back(std::move(n));
    } else if (!parent.has_key) {
      if (n.kind != Node::Kind::kScalar)
        reader_.fail(n.line, next_path(), "a key must be a single value");
      if (!parent.keys.insert(n.scalar).second) {
        const std::string path = next_path();
        reader_.fail(n.line, path.empty() ? n.scalar : path + "." + n.scalar, "duplicate key");
      }
      parent.key = std::move(n.scalar);
      parent.has_key = true;
    } else {
      parent.node.map.emplace_back(std::move(parent.key), std::move(n));
      parent.key.clear();
      parent.has_key = false;
    }
  }

  const ConfigReader& reader_;
  TreeBudget budget_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  Node root_;
};

}  // namespace

ConfigNode parse_yaml_tree(std::string_view text, const ConfigReader& reader) {
  std::istringstream in{std::string(text)};
  TreeHandler handler(reader);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(handler);
  } catch (const YAML::Exception& e) {
    reader.fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "YAML syntax error: " + e.msg);
  }
  return handler.take_root();
}

}  // namespace resync::detail
