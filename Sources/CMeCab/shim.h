// MeCab's C API for the Comments module. libmecab ships no pkg-config file; its header is
// /usr/include/mecab.h on Debian (libmecab-dev).
#ifndef DANMAKU_CMECAB_SHIM_H
#define DANMAKU_CMECAB_SHIM_H

#include <mecab.h>

/// `MECAB_NOR_NODE`: a node the dictionary knows.
static inline int danmaku_mecab_nor_node(void) { return MECAB_NOR_NODE; }
/// `MECAB_UNK_NODE`: a node for an unknown word.
static inline int danmaku_mecab_unk_node(void) { return MECAB_UNK_NODE; }
/// `MECAB_BOS_NODE`: the beginning-of-sentence node.
static inline int danmaku_mecab_bos_node(void) { return MECAB_BOS_NODE; }
/// `MECAB_EOS_NODE`: the end-of-sentence node.
static inline int danmaku_mecab_eos_node(void) { return MECAB_EOS_NODE; }

#endif
