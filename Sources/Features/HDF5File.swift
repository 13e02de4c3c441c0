// A read-only HDF5 file through libhdf5: the datasets' names, shapes and Float contents.
// Every libhdf5 call of danmaku is in this file; failures become `WeightsError`s naming the file.
// Debian's serial libhdf5 is not thread-safe, so every call holds one process-wide lock.
internal import CHDF5
import Foundation

/// An open HDF5 file. Owns the file id and closes it in `deinit`.
final class HDF5File {
    /// The path the file was opened from.
    let path: String
    private let file: hid_t

    /// Serialises libhdf5, whose serial build keeps global state (recursive: methods nest).
    private static let library = NSRecursiveLock()

    /// Opens `path` read-only.
    ///
    /// - Throws: `WeightsError.unreadable` when the file is missing or is not HDF5.
    /// The corresponding C function is `H5Fopen`.
    init(path: String) throws {
        Self.library.lock()
        defer { Self.library.unlock() }
        self.path = path
        danmaku_h5_silence_errors()
        guard H5Fis_hdf5(path) > 0 else {
            throw WeightsError.unreadable(path: path, reason: "not an HDF5 file")
        }
        let id = H5Fopen(path, danmaku_h5f_acc_rdonly(), danmaku_h5p_default())
        guard id >= 0 else { throw WeightsError.unreadable(path: path, reason: "libhdf5 cannot open it") }
        file = id
    }

    deinit { Self.library.withLock { _ = H5Fclose(file) } }

    /// Whether `path` starts with the HDF5 signature. The corresponding C function is `H5Fis_hdf5`.
    static func isHDF5(path: String) -> Bool {
        library.withLock {
            danmaku_h5_silence_errors()
            return H5Fis_hdf5(path) > 0
        }
    }

    /// The full names (`block1/layers/conv2d/vars/0`) of every dataset, sorted.
    /// The corresponding C function is `H5Lvisit`.
    func datasetNames() throws -> [String] {
        Self.library.lock()
        defer { Self.library.unlock() }
        var links: [String] = []
        let status = withUnsafeMutablePointer(to: &links) { pointer in
            H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, { _, name, _, context in
                guard let name, let context else { return -1 }
                context.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                return 0
            }, pointer)
        }
        guard status >= 0 else { throw WeightsError.unreadable(path: path, reason: "cannot list its contents") }
        return links.filter(isDataset).sorted()
    }

    /// The dataset's dimensions, outermost first.
    func shape(of name: String) throws -> [Int] {
        try withDataset(name) { dataset in
            let space = H5Dget_space(dataset)
            guard space >= 0 else { throw WeightsError.unreadable(path: path, reason: "no dataspace for '\(name)'") }
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0 else { throw WeightsError.unreadable(path: path, reason: "no rank for '\(name)'") }
            var dims = [hsize_t](repeating: 0, count: max(rank, 1))
            guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
                throw WeightsError.unreadable(path: path, reason: "no dimensions for '\(name)'")
            }
            return dims.prefix(rank).map { Int($0) }
        }
    }

    /// The dataset's elements converted to `Float` by libhdf5, row-major.
    ///
    /// - Throws: `WeightsError.notFloat` when the dataset does not hold numbers.
    /// The corresponding C function is `H5Dread`.
    func floats(_ name: String) throws -> [Float] {
        let count = try shape(of: name).reduce(1, *)
        return try withDataset(name) { dataset in
            let type = H5Dget_type(dataset)
            guard type >= 0 else { throw WeightsError.unreadable(path: path, reason: "no type for '\(name)'") }
            let typeClass = H5Tget_class(type)
            H5Tclose(type)
            guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
                throw WeightsError.notFloat(path: path, key: name)
            }
            var values = [Float](repeating: 0, count: count)
            let status = values.withUnsafeMutableBytes {
                H5Dread(dataset, danmaku_h5t_native_float(), danmaku_h5s_all(), danmaku_h5s_all(), danmaku_h5p_default(), $0.baseAddress)
            }
            guard status >= 0 else { throw WeightsError.unreadable(path: path, reason: "cannot read '\(name)'") }
            return values
        }
    }

    private func isDataset(_ name: String) -> Bool {
        let object = H5Oopen(file, name, danmaku_h5p_default())
        guard object >= 0 else { return false }
        defer { H5Oclose(object) }
        return H5Iget_type(object) == H5I_DATASET
    }

    private func withDataset<R>(_ name: String, _ body: (hid_t) throws -> R) throws -> R {
        Self.library.lock()
        defer { Self.library.unlock() }
        let dataset = H5Dopen2(file, name, danmaku_h5p_default())
        guard dataset >= 0 else { throw WeightsError.unreadable(path: path, reason: "cannot open dataset '\(name)'") }
        defer { H5Dclose(dataset) }
        return try body(dataset)
    }
}
