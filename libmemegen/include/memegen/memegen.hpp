#pragma once
/// \file memegen.hpp
/// Umbrella header: every public component of libmemegen.

#include "memegen/crash_state_store.hpp"
#include "memegen/error.hpp"
#include "memegen/generation_guard.hpp"
#include "memegen/log.hpp"
#include "memegen/media_probe.hpp"
#include "memegen/meme_renderer.hpp"
#include "memegen/perceptual_hash.hpp"
#include "memegen/render_files.hpp"
#include "memegen/render_options.hpp"
#include "memegen/resource_monitor.hpp"
#include "memegen/text_detect.hpp"
