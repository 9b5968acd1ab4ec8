#pragma once
// ONNX element types: sizes and names, shared by the importer and the stage writer.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace pipecut {

// Bytes per element; strings and unknown types count 4 (a guess: they are rare in DNN graphs).
inline double element_bytes(std::int32_t elem_type) {
  using T = onnx::TensorProto;
  switch (elem_type) {
    case T::UINT8:
    case T::INT8:
    case T::BOOL:
      return 1;
    case T::UINT16:
    case T::INT16:
    case T::FLOAT16:
    case T::BFLOAT16:
      return 2;
    case T::FLOAT:
    case T::INT32:
    case T::UINT32:
      return 4;
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
    case T::COMPLEX64:
      return 8;
    case T::COMPLEX128:
      return 16;
    default:
      return 4;
  }
}

// The element type as ONNX Runtime's JavaScript API and numpy name it (float32, int64, bool, …).
inline std::string dtype_name(std::int32_t elem_type) {
  using T = onnx::TensorProto;
  switch (elem_type) {
    case T::FLOAT:
      return "float32";
    case T::FLOAT16:
      return "float16";
    case T::BFLOAT16:
      return "bfloat16";
    case T::DOUBLE:
      return "float64";
    case T::INT8:
      return "int8";
    case T::INT16:
      return "int16";
    case T::INT32:
      return "int32";
    case T::INT64:
      return "int64";
    case T::UINT8:
      return "uint8";
    case T::UINT16:
      return "uint16";
    case T::UINT32:
      return "uint32";
    case T::UINT64:
      return "uint64";
    case T::BOOL:
      return "bool";
    case T::STRING:
      return "string";
    case T::COMPLEX64:
      return "complex64";
    case T::COMPLEX128:
      return "complex128";
    default:
      return "undefined";
  }
}

}  // namespace pipecut
