using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

/// <summary>
/// The catalog: policies, targets, snapshots and where they are, runs, drill results. One
/// context for both providers; each provider has its own migrations assembly because the
/// column types differ (see README.md). Use <see cref="CatalogStore"/> rather than this
/// context from outside the Catalog project.
/// </summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public DbSet<PolicyEntity> Policies => Set<PolicyEntity>();

    public DbSet<TargetEntity> Targets => Set<TargetEntity>();

    public DbSet<SnapshotEntity> Snapshots => Set<SnapshotEntity>();

    public DbSet<SnapshotPresenceEntity> SnapshotPresence => Set<SnapshotPresenceEntity>();

    public DbSet<RunEntity> Runs => Set<RunEntity>();

    public DbSet<RunErrorEntity> RunErrors => Set<RunErrorEntity>();

    public DbSet<DrillResultEntity> DrillResults => Set<DrillResultEntity>();

    public DbSet<DrillMismatchEntity> DrillMismatches => Set<DrillMismatchEntity>();

    public DbSet<DrillFileVerificationEntity> DrillFileVerifications => Set<DrillFileVerificationEntity>();

    public DbSet<PolicyChangeEntity> PolicyChanges => Set<PolicyChangeEntity>();

    public DbSet<ScheduledFireEntity> ScheduledFires => Set<ScheduledFireEntity>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        if (Database.IsSqlite())
        {
            // SQLite has no timestamp type and EF cannot compare or order DateTimeOffset text there.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcMicrosecondsConverter>();
        }

        configurationBuilder.Properties<RunKind>().HaveConversion<LowerCaseEnumConverter<RunKind>>().HaveMaxLength(16);
        configurationBuilder.Properties<RunStatus>().HaveConversion<LowerCaseEnumConverter<RunStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<SnapshotKind>().HaveConversion<LowerCaseEnumConverter<SnapshotKind>>().HaveMaxLength(16);
        configurationBuilder.Properties<PresenceStatus>().HaveConversion<LowerCaseEnumConverter<PresenceStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<PolicyChangeKind>().HaveConversion<LowerCaseEnumConverter<PolicyChangeKind>>().HaveMaxLength(16);
        configurationBuilder.Properties<FireStatus>().HaveConversion<LowerCaseEnumConverter<FireStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<DrillOutcome>().HaveConversion<LowerCaseEnumConverter<DrillOutcome>>().HaveMaxLength(16);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<PolicyEntity>(e =>
        {
            e.ToTable("Policies");
            e.Property(p => p.Name).HasMaxLength(63);
            e.Property(p => p.Description).HasMaxLength(1000);
            e.Property(p => p.YamlSha256).HasMaxLength(64).IsFixedLength();
            e.HasIndex(p => p.Name).IsUnique();
        });

        modelBuilder.Entity<TargetEntity>(e =>
        {
            e.ToTable("Targets");
            e.Property(t => t.Name).HasMaxLength(63);
            e.Property(t => t.Type).HasMaxLength(32);
            e.Property(t => t.Description).HasMaxLength(1000);
            e.HasIndex(t => t.Name).IsUnique();
        });

        ConfigureSnapshots(modelBuilder);
        ConfigureRuns(modelBuilder);
        ConfigureSchedule(modelBuilder);
    }

    private static void ConfigureSchedule(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PolicyChangeEntity>(e =>
        {
            e.ToTable("PolicyChanges");
            e.Property(c => c.PolicyName).HasMaxLength(63);
            e.Property(c => c.ChangedBy).HasMaxLength(200);
            e.HasIndex(c => new { c.PolicyName, c.ChangedAt });
        });

        modelBuilder.Entity<ScheduledFireEntity>(e =>
        {
            e.ToTable("ScheduledFires");
            e.Property(f => f.PolicyName).HasMaxLength(63);
            e.Property(f => f.JobId).HasMaxLength(64);
            e.Property(f => f.Detail).HasMaxLength(1000);
            e.HasIndex(f => new { f.PolicyName, f.Kind, f.ScheduledAt }).IsUnique();
            e.HasIndex(f => new { f.Status, f.ScheduledAt });
        });
    }

    private static void ConfigureSnapshots(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SnapshotEntity>(e =>
        {
            e.ToTable("Snapshots");
            e.Property(s => s.SnapshotId).HasMaxLength(64);
            e.Property(s => s.ParentSnapshotId).HasMaxLength(64);
            e.Property(s => s.TreeId).HasMaxLength(64);
            e.Property(s => s.Hostname).HasMaxLength(255);
            e.HasIndex(s => s.SnapshotId).IsUnique();
            e.HasIndex(s => new { s.PolicyId, s.RecoveryPoint });
            e.HasOne(s => s.Policy).WithMany().HasForeignKey(s => s.PolicyId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<SnapshotPresenceEntity>(e =>
        {
            e.ToTable("SnapshotPresence");
            e.HasKey(p => new { p.SnapshotRowId, p.TargetId });
            e.HasIndex(p => new { p.TargetId, p.Status });
            e.HasOne(p => p.Snapshot).WithMany(s => s.Presence).HasForeignKey(p => p.SnapshotRowId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(p => p.Target).WithMany().HasForeignKey(p => p.TargetId).OnDelete(DeleteBehavior.Restrict);
        });
    }

    private static void ConfigureRuns(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RunEntity>(e =>
        {
            e.ToTable("Runs");
            e.Property(r => r.ErrorMessage).HasMaxLength(4000);
            e.Property(r => r.SnapshotId).HasMaxLength(64);
            e.Property(r => r.Host).HasMaxLength(255);
            e.HasIndex(r => new { r.PolicyId, r.StartedAt });
            e.HasIndex(r => new { r.Status, r.StartedAt });
            e.HasIndex(r => r.SnapshotId);
            e.HasOne(r => r.Policy).WithMany().HasForeignKey(r => r.PolicyId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne(r => r.Target).WithMany().HasForeignKey(r => r.TargetId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(r => r.Errors).WithOne().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RunErrorEntity>(e =>
        {
            e.ToTable("RunErrors");
            e.Property(x => x.Message).HasMaxLength(4000);
        });

        modelBuilder.Entity<DrillResultEntity>(e =>
        {
            e.ToTable("DrillResults");
            e.Property(d => d.SnapshotId).HasMaxLength(64);
            e.HasIndex(d => d.RunId).IsUnique();
            e.HasIndex(d => d.SnapshotId);
            e.HasOne(d => d.Run).WithOne().HasForeignKey<DrillResultEntity>(d => d.RunId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(d => d.MismatchDetails).WithOne().HasForeignKey(m => m.DrillResultId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DrillMismatchEntity>(e =>
        {
            e.ToTable("DrillMismatches");
            e.Property(m => m.Path).HasMaxLength(4000);
            e.Property(m => m.Expected).HasMaxLength(128);
            e.Property(m => m.Actual).HasMaxLength(128);
            e.Property(m => m.Reason).HasMaxLength(4000);
        });

        modelBuilder.Entity<DrillFileVerificationEntity>(e =>
        {
            e.ToTable("DrillFileVerifications");
            e.Property(f => f.Path).HasMaxLength(4000);
            // Paths can be long: looked up as the whole (policy, target) set, never by path in SQL.
            e.HasIndex(f => new { f.PolicyId, f.TargetId });
            e.HasOne(f => f.Policy).WithMany().HasForeignKey(f => f.PolicyId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(f => f.Target).WithMany().HasForeignKey(f => f.TargetId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
