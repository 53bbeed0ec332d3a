//! A ConfigMap volume laid out the way kubelet's atomic writer does it.
//!
//! ```text
//! dir/status.json -> ..data/status.json
//! dir/..data      -> ..2026_11_24_11_00_00.000000001
//! dir/..2026_11_24_11_00_00.000000001/status.json
//! ```
//! An update writes a new timestamped directory, points a `..data_tmp` symlink at it, renames that
//! over `..data` (the atomic step), adds links for new keys, removes links for deleted keys, and
//! deletes the old timestamped directory.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub(crate) struct ConfigMapVolume {
    pub(crate) dir: PathBuf,
    generation: u32,
    keys: BTreeMap<String, String>,
}

impl ConfigMapVolume {
    /// Creates the volume at `dir` (which must exist) with these keys.
    pub(crate) fn new(dir: &Path, keys: &[(&str, &str)]) -> Self {
        let mut volume = Self {
            dir: dir.to_path_buf(),
            generation: 0,
            keys: BTreeMap::new(),
        };
        volume.update(keys);
        volume
    }

    /// Replaces the whole content of the ConfigMap, as kubelet does after its sync period.
    pub(crate) fn update(&mut self, keys: &[(&str, &str)]) {
        self.generation += 1;
        let ts = format!("..2026_11_24_11_00_00.{:09}", self.generation);
        let ts_dir = self.dir.join(&ts);
        std::fs::create_dir(&ts_dir).expect("timestamped dir");
        // Each generation's files carry their own modification time (one hour apart, in the
        // past), as files written at different times do.
        let mtime = SystemTime::UNIX_EPOCH
            + Duration::from_secs(1_767_225_600 + 3600 * u64::from(self.generation));
        for (key, contents) in keys {
            let path = ts_dir.join(key);
            std::fs::write(&path, contents).expect("write key");
            let file = std::fs::File::options()
                .write(true)
                .open(&path)
                .expect("open key");
            file.set_modified(mtime).expect("set mtime");
        }
        let old_target = std::fs::read_link(self.dir.join("..data")).ok();
        let tmp = self.dir.join("..data_tmp");
        symlink(&ts, &tmp).expect("..data_tmp");
        std::fs::rename(&tmp, self.dir.join("..data")).expect("swap ..data");
        let new: BTreeMap<String, String> = keys
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for key in new.keys() {
            if !self.keys.contains_key(key) {
                symlink(format!("..data/{key}"), self.dir.join(key)).expect("key link");
            }
        }
        for key in self.keys.keys() {
            if !new.contains_key(key) {
                std::fs::remove_file(self.dir.join(key)).expect("remove key link");
            }
        }
        if let Some(old) = old_target {
            std::fs::remove_dir_all(self.dir.join(old)).expect("remove old dir");
        }
        self.keys = new;
    }
}
