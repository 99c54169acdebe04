// Test-only: s3://bucket/key served from a local folder <airline.test.s3.mirror>/bucket/key.
// Spark in the Glue-job test reads the landing files and writes its COPY input through this,
// as EMRFS does on Glue; no S3 connector jar (s3a/EMRFS) can be installed offline.
package airlinetest;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

public class MirrorS3FileSystem extends FileSystem {
  private URI uri;
  private String root;
  private RawLocalFileSystem local;
  private Path workingDir;

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    setConf(conf);
    uri = URI.create(name.getScheme() + "://" + name.getAuthority() + "/");
    root = new File(conf.get("airline.test.s3.mirror")).getAbsolutePath();
    local = new RawLocalFileSystem();
    local.initialize(URI.create("file:///"), conf);
    workingDir = new Path(uri);
  }

  @Override
  public String getScheme() {
    return "s3";
  }

  @Override
  public URI getUri() {
    return uri;
  }

  private Path toLocal(Path p) {
    if (!p.isAbsolute()) {
      p = new Path(workingDir, p);
    }
    URI u = p.toUri();
    String bucket = u.getAuthority() != null ? u.getAuthority() : uri.getAuthority();
    return new Path("file", null, root + "/" + bucket + u.getPath());
  }

  private Path toS3(Path p) {
    String rel = p.toUri().getPath().substring(root.length() + 1);
    int slash = rel.indexOf('/');
    String bucket = slash < 0 ? rel : rel.substring(0, slash);
    String key = slash < 0 ? "/" : rel.substring(slash);
    return new Path("s3", bucket, key);
  }

  private FileStatus fix(FileStatus status) {
    status.setPath(toS3(status.getPath()));
    return status;
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    return local.open(toLocal(f), bufferSize);
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite,
      int bufferSize, short replication, long blockSize, Progressable progress)
      throws IOException {
    return local.create(toLocal(f), permission, overwrite, bufferSize, replication, blockSize,
        progress);
  }

  @Override
  public FSDataOutputStream append(Path f, int bufferSize, Progressable progress)
      throws IOException {
    throw new IOException("append is not supported on S3");
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    return local.rename(toLocal(src), toLocal(dst));
  }

  @Override
  public boolean delete(Path f, boolean recursive) throws IOException {
    return local.delete(toLocal(f), recursive);
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    FileStatus[] found = local.listStatus(toLocal(f));
    for (FileStatus status : found) {
      fix(status);
    }
    return found;
  }

  @Override
  public void setWorkingDirectory(Path dir) {
    workingDir = dir;
  }

  @Override
  public Path getWorkingDirectory() {
    return workingDir;
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    return local.mkdirs(toLocal(f), permission);
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    return fix(local.getFileStatus(toLocal(f)));
  }
}
