// Precompiled header for the torch-heavy targets (see CMakeLists.txt).
#pragma once
#include <ATen/ATen.h>
#include <torch/types.h>
