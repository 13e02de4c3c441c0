// FreeType for the Render module. FreeType's headers are included through macros
// (FT_FREETYPE_H, …), which a module map cannot name, so this shim does it.
#ifndef DANMAKU_CFREETYPE_SHIM_H
#define DANMAKU_CFREETYPE_SHIM_H

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_GLYPH_H
#include FT_STROKER_H
#include FT_BITMAP_H
#include FT_TRUETYPE_TABLES_H

/// `FT_LOAD_DEFAULT`.
static inline FT_Int32 danmaku_ft_load_default(void) { return FT_LOAD_DEFAULT; }
/// `FT_LOAD_NO_BITMAP`: always use outlines, never embedded bitmaps.
static inline FT_Int32 danmaku_ft_load_no_bitmap(void) { return FT_LOAD_NO_BITMAP; }
/// `FT_LOAD_TARGET_NORMAL`.
static inline FT_Int32 danmaku_ft_load_target_normal(void) { return FT_LOAD_TARGET_NORMAL; }
/// `FT_HAS_KERNING(face)`.
static inline int danmaku_ft_has_kerning(FT_Face face) { return FT_HAS_KERNING(face) ? 1 : 0; }

/// `FT_LOAD_TARGET_LIGHT`: light (vertical-only) hinting, which keeps glyph widths true for moving text.
static inline FT_Int32 danmaku_ft_load_target_light(void) { return FT_LOAD_TARGET_LIGHT; }
/// `FT_Err_Unknown_File_Format`: the file is not a font FreeType can read.
static inline FT_Error danmaku_ft_err_unknown_file_format(void) { return FT_Err_Unknown_File_Format; }
/// `FT_Err_Cannot_Open_Resource`: the file cannot be opened.
static inline FT_Error danmaku_ft_err_cannot_open_resource(void) { return FT_Err_Cannot_Open_Resource; }
/// `FT_Err_Invalid_Argument`: e.g. a face index past the last face of a collection.
static inline FT_Error danmaku_ft_err_invalid_argument(void) { return FT_Err_Invalid_Argument; }
/// `FT_IS_SCALABLE(face)`: outline font (bitmap-only fonts cannot be stroked or scaled).
static inline int danmaku_ft_is_scalable(FT_Face face) { return FT_IS_SCALABLE(face) ? 1 : 0; }

#endif
